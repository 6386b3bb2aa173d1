"""DRF permission classes backed by access.policy."""

from rest_framework.permissions import BasePermission

from access.policy import has_capability


def HasCapability(*capabilities: str):  # noqa: N802 - reads like a class in permission_classes
    class _HasCapability(BasePermission):
        message = "您的角色无权使用此接口"
        required = capabilities

        def has_permission(self, request, view):
            user = request.user
            return bool(user and user.is_authenticated and any(has_capability(user, c) for c in capabilities))

    _HasCapability.__name__ = f"HasCapability({','.join(capabilities)})"
    return _HasCapability
