"""The rule-set pages: for admins, stored versions and when each was active, a diff between two
versions, the errors of a broken development edit, and activating a version (roll back/forward);
for leads, the impact of a staged version on the offers already stored (a job: review/job_views.py
shows its progress and result), and its activation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # 3.2 stubs lack it
from wtforms.validators import InputRequired

from donations_app.forms import ConfirmForm
from donations_app.review import bp
from donations_app.review.access import admin_required, lead_required
from donations_app.services import jobs, rulesets
from donations_app.services.recheck import OPEN_STATUSES
from donations_app.services.rules import activate_version, active_ruleset, rulebook, ruleset_for
from donations_app.services.transaction import NotFound, ServiceError


class DiffForm(FlaskForm):
    """Two stored versions to compare (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    old = SelectField("From version", validators=[InputRequired("Pick the older version.")])
    new = SelectField("To version", validators=[InputRequired("Pick the newer version.")])


def _version_or_404(version: str) -> str:
    try:
        return rulesets.full_version(version)
    except NotFound:
        abort(404)


@bp.get("/admin/rules")
@admin_required
def admin_rules() -> tuple[str, int]:
    """Every stored rule set with who stored it and when it was active; a diff between two."""
    versions = rulesets.versions()
    form = DiffForm(request.args)
    choices = [SelectChoice(v.version, _choice_label(v)) for v in versions]
    form.old.choices = form.new.choices = choices
    active = active_ruleset().version
    if not request.args:
        form.new.data = active
        form.old.data = next((v.version for v in versions if v.version != active), active)
    diff: list[rulesets.FileDiff] = []
    if request.args and form.validate():
        diff = rulesets.diff(form.old.data or "", form.new.data or "")
    return (
        render_template(
            "review/admin/rules.html",
            versions=versions,
            active=active,
            pending_errors=rulebook().pending_errors,
            form=form,
            diff=diff,
            compared=bool(request.args) and not form.errors,
        ),
        400 if form.errors else 200,
    )


@bp.route("/admin/rules/<version>/activate", methods=["GET", "POST"])
@admin_required
def admin_rules_activate(version: str) -> Response | str:
    """Confirm, then make a stored version the active rule set; audited."""
    version = _version_or_404(version)
    if request.method == "POST":
        if not ConfirmForm().validate():
            abort(400)
        try:
            activate_version(version, rulesets.Actor(reviewer=current_user._get_current_object()))
        except rulesets.RuleSetRefused as error:
            flash(f"Version {version} no longer loads: {'; '.join(error.errors)}", "error")
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(f"Rule set {version} is now active.", "success")
        return redirect(url_for("review.admin_rules"))
    summary = next(v for v in rulesets.versions() if v.version == version)
    active = active_ruleset().version
    return render_template(
        "review/admin/rules_activate.html",
        summary=summary,
        active=active,
        diff=rulesets.diff(active, version),
    )


class ImpactForm(FlaskForm):
    """A staged version and which stored offers to compare it on."""

    version = SelectField("Staged rule set", validators=[InputRequired("Pick a staged version.")])
    status = SelectField(
        "Offers to compare",
        choices=[
            SelectChoice("open", "Open offers"),
            SelectChoice("decided", "Decided offers"),
            SelectChoice("all", "All offers"),
        ],
        default="open",
    )


@bp.route("/rules/impact", methods=["GET", "POST"])
@lead_required
def rules_impact() -> Response | tuple[str, int]:
    """Staged rule sets; previewing one's impact on the stored offers starts a job."""
    staged = [v for v in rulesets.versions() if not v.periods]
    form = ImpactForm()
    form.version.choices = [SelectChoice(v.version, v.version) for v in staged]
    if request.method == "GET" and request.args.get("version") in {v.version for v in staged}:
        form.version.data = request.args["version"]
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        version = form.version.data or ""
        try:
            ruleset_for(version)
        except rulesets.RuleSetRefused as error:
            flash(f"Version {version} does not load: {'; '.join(error.errors)}", "error")
            status = 409
        else:
            job = jobs.enqueue(
                "impact_preview",
                {"version": version, "status": form.status.data},
                current_user._get_current_object(),
            )
            return redirect(url_for("review.job", job_id=job.id))
    return (
        render_template(
            "review/rules_impact.html",
            staged=staged,
            form=form,
            active=active_ruleset().version,
        ),
        status,
    )


@bp.post("/rules/recheck")
@lead_required
def rules_recheck() -> Response:
    """A lead re-checks the open offers under the active rule set: a job."""
    if not ConfirmForm().validate():
        abort(400)
    job = jobs.enqueue(
        "recheck", {"statuses": list(OPEN_STATUSES)}, current_user._get_current_object()
    )
    return redirect(url_for("review.job", job_id=job.id))


@bp.post("/rules/impact/<version>/activate")
@lead_required
def rules_impact_activate(version: str) -> Response:
    """A lead makes the previewed version the active rule set; audited."""
    version = _version_or_404(version)
    if not ConfirmForm().validate():
        abort(400)
    try:
        activate_version(version, rulesets.Actor(reviewer=current_user._get_current_object()))
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("review.rules_impact"))
    flash(
        f"Rule set {version} is now active. Re-check the open offers to flag those it changes.",
        "success",
    )
    return redirect(url_for("review.rules_impact"))


def _choice_label(summary: rulesets.VersionSummary) -> str:
    when = summary.created_at.strftime("%Y-%m-%d %H:%M")
    return f"{summary.version} ({'active, ' if summary.active else ''}stored {when} UTC)"
