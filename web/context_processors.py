from access.policy import scope_of
from accounts.roles import Role
from web.cards import nav_items


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "role_labels": []}
    scope = scope_of(user)
    return {
        "nav_items": nav_items(user),
        "role_labels": [Role(r).label for r in sorted(scope.roles)],
    }
