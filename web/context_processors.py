from access.policy import scope_of
from accounts.roles import Role
from web.cards import nav_items


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "role_labels": []}
    # Every template rendered with the request runs this (a file page renders its sections
    # too): build the menu once per request.
    cached = getattr(request, "_navigation", None)
    if cached is not None and cached[0] is user:
        return cached[1]
    scope = scope_of(user)
    context = {
        "nav_items": nav_items(user),
        "role_labels": [Role(r).label for r in sorted(scope.roles)],
    }
    request._navigation = (user, context)
    return context
