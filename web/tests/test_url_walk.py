"""Every URL is either on the public allowlist or protected and scoped."""

from django.contrib.admin.sites import site as admin_site
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from access.public import PUBLIC_URL_NAMES


def walk(patterns=None, namespace="", prefix=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else ""
            yield name, prefix + str(entry.pattern), entry.callback


def classify(name: str, callback, route: str = "") -> str:
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    # Everything under admin/ is wrapped by the admin site, whose has_permission admits city admins only.
    if (
        name.startswith("admin:")
        or route.startswith("admin/")
        or getattr(callback, "admin_site", None) is admin_site
    ):
        return "admin"
    if getattr(callback, "_access_public", False):
        return "public"
    if getattr(callback, "_access_capabilities", None):
        return "protected"
    if view_class is not None and issubclass(view_class, APIView):
        permissions = list(
            getattr(callback, "initkwargs", {}).get("permission_classes", view_class.permission_classes)
        )
        if any(p is AllowAny for p in permissions):
            return "public"
        if any(getattr(p, "required", None) for p in permissions):
            return "protected"
        return "unprotected"
    return "unprotected"


def test_every_url_is_public_by_allowlist_or_protected():
    problems = []
    for name, route, callback in walk():
        kind = classify(name, callback, route)
        if kind == "unprotected":
            problems.append(f"{route} ({name or 'unnamed'}) has no access decorator or capability permission")
        if kind == "public" and name not in PUBLIC_URL_NAMES:
            problems.append(
                f"{route} ({name or 'unnamed'}) is public but not on access.public.PUBLIC_URL_NAMES"
            )
    assert problems == [], "\n".join(problems)


def test_allowlist_names_exist_and_are_public():
    found = {name: callback for name, _route, callback in walk() if name}
    for name in PUBLIC_URL_NAMES:
        if name in found:
            assert classify(name, found[name]) == "public", name


def test_anonymous_user_is_sent_to_login_on_every_protected_url(client, db):
    checked = 0
    for name, route, callback in walk():
        if classify(name, callback, route) != "protected" or "<" in route:
            continue
        response = client.get("/" + route)
        assert response.status_code in (302, 401, 403), (
            f"/{route} answered {response.status_code} to anonymous"
        )
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"], route
        checked += 1
    assert checked >= 1
