"""View decorators: every view is either protected by a capability or explicitly public.

The URL-walk test reads the markers these decorators leave on the view function.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from access.policy import has_capability


def require(*capabilities: str):
    """Login required, and at least one of the capabilities; otherwise 403 (audited)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(has_capability(request.user, c) for c in capabilities):
                from audit.services import record

                record(
                    actor=request.user,
                    action="denied",
                    object_type="url",
                    object_id=request.path[:64],
                    summary=f"缺少权限：{'/'.join(capabilities)}",
                )
                raise PermissionDenied("您的角色无权使用此功能")
            return view(request, *args, **kwargs)

        wrapped._access_capabilities = capabilities
        return wrapped

    return decorator


def public(view):
    """Mark a view as reachable without login (it must also be on the public allowlist)."""
    view._access_public = True
    return view
