"""Prepare the measured requests (run inside the benchmark's Django settings and database):
sessions for the personas, a child in the director's villages, and the request specs."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import re
import sys

import django


def _session_cookie(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(3600)
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def _url(name: str, *args) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _planner_statistics() -> None:
    """A PostgreSQL database loaded a moment ago has no planner statistics and no visibility
    map yet (autovacuum catches up later in production): without them the capped counts read
    every row instead of an index-only scan. Measure the database as it will run."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def main(port: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
    django.setup()
    from access.policy import children_visible
    from accounts.models import User
    from demo.people import DEMO_PASSWORD

    _planner_statistics()
    base = f"http://127.0.0.1:{port}"
    director = User.objects.get(username="yuekou_director")
    supervisor = User.objects.get(username="yuekou_supervisor")
    leader = User.objects.get(username="leader")
    plan: dict[str, dict] = {}

    def get(name, url, user=None):
        if url is None:
            plan[name] = {"skip": "URL not present in this build"}
            return
        headers = {"Cookie": _session_cookie(user)} if user else {}
        plan[name] = {"url": base + url, "method": "GET", "body": None, "headers": headers}

    get("bare_view", "/healthz")
    # Login: GET the form once for a CSRF token, then POST username and password each time.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if cookie and token:
        body = f"csrfmiddlewaretoken={token.group(1)}&username=yuekou_director&password={DEMO_PASSWORD}"
        plan["login"] = {
            "url": base + "/accounts/login/",
            "method": "POST",
            "body": body,
            "headers": {
                "Cookie": f"csrftoken={cookie.group(1)}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        }
    else:
        plan["login"] = {"skip": "no CSRF token on the login page"}
    get("worklist_director", _url("care:worklist"), director)
    child = children_visible(director).order_by("pk").first()
    get("child_file", _url("registry:detail", child.pk) if child else None, director)
    township = supervisor.assignments.get().unit_id
    child_list = _url("registry:list")
    get(
        "child_list_township",
        f"{child_list}?township={township}&status=migrant&page=3" if child_list else None,
        supervisor,
    )
    get("dashboard_city", _url("stats:dashboard"), leader)
    check = _url("servicelist_api_public_check")
    if check:
        body = json.dumps(
            {
                "birth_date": (dt.date.today() - dt.timedelta(days=9 * 365)).isoformat(),
                "school_stage": "小学",
                "health": "健康",
                "security": ["低保"],
            }
        )
        plan["entitlement_check_api"] = {
            "url": base + check,
            "method": "POST",
            "body": body,
            "headers": {"Content-Type": "application/json"},
        }
    else:
        plan["entitlement_check_api"] = {"skip": "URL not present in this build"}
    print(json.dumps(plan))


if __name__ == "__main__":
    main(int(sys.argv[1]))
