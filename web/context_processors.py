from access.policy import scope_of
from accounts.roles import Role
from web.cards import inbox, nav_groups
from web.nav import mark_active


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_groups": [], "role_labels": [], "inbox": None}
    # Every template rendered with the request runs this (a file page renders its sections
    # too): build the menu once per request.
    cached = getattr(request, "_navigation", None)
    if cached is not None and cached[0] is user:
        return cached[1]
    scope = scope_of(user)
    context = {
        "nav_groups": mark_active(nav_groups(user), request.path),
        "role_labels": [Role(r).label for r in sorted(scope.roles)],
        "inbox": inbox(user),
    }
    request._navigation = (user, context)
    return context
