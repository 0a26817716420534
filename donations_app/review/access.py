"""Access control for INL pages: sign-in required, and role checks for leads and admins."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required


def role_required(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow signed-in reviewers whose role is `role` or higher; others get 403."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


reviewer_required = role_required("reviewer")
lead_required = role_required("lead")
admin_required = role_required("admin")
