"""The rule-set pages: for admins, stored versions and when each was active, a diff between two
versions, the errors of a broken development edit, and activating a version (roll back/forward);
for leads, the impact of a staged version on the offers already stored, and its activation."""

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
from donations_app.services import rulesets
from donations_app.services.impact import STATUS_CHOICES, preview_page
from donations_app.services.queues import queue_names
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


@bp.get("/rules/impact")
@lead_required
def rules_impact() -> tuple[str, int]:
    """Staged rule sets, and for one of them what it would change for the stored offers."""
    staged = [v for v in rulesets.versions() if not v.periods]
    version = request.args.get("version", "")
    status = request.args.get("status", "open")
    if status not in STATUS_CHOICES:
        status = "open"
    preview = None
    if version:
        version = _version_or_404(version)
        try:
            candidate = ruleset_for(version)
        except rulesets.RuleSetRefused as error:
            flash(f"Version {version} does not load: {'; '.join(error.errors)}", "error")
            return render_template("review/rules_impact.html", staged=staged, preview=None), 409
        preview = preview_page(candidate, active_ruleset(), status=status)
    return (
        render_template(
            "review/rules_impact.html",
            staged=staged,
            version=version,
            status=status,
            statuses=STATUS_CHOICES,
            active=active_ruleset().version,
            preview=preview,
            queue_names=queue_names(),
        ),
        200,
    )


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
        return redirect(url_for("review.rules_impact", version=version))
    flash(
        f"Rule set {version} is now active. Run a re-check to flag the open offers it changes.",
        "success",
    )
    return redirect(url_for("review.rules_impact"))


def _choice_label(summary: rulesets.VersionSummary) -> str:
    when = summary.created_at.strftime("%Y-%m-%d %H:%M")
    return f"{summary.version} ({'active, ' if summary.active else ''}stored {when} UTC)"
