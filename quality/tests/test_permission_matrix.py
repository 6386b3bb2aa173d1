"""Every URL × every persona × an object inside and outside the persona's area.

The expected answer is derived from access.policy: the capability the view demands (the
``_access_capabilities`` marker of ``@require`` or the DRF permission's ``required``) and whether
the object lies in the persona's scope. Every 2xx body is searched for personal data that the
persona must not see. A parametrised URL missing from PARAMS fails the test: add it.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.admin.sites import site as admin_site
from django.db import transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.policy import children_visible, has_capability, may_use_psych, psych_visible, scope_of
from quality.tests.world import build_world
from web.tests.test_url_walk import classify, walk

PERSONAS = [
    "admin",
    "yuekou_supervisor",
    "yuekou_director",
    "duobao_supervisor",
    "edu_liaison",
    "teacher",
    "leader",
    "auditor",
    "anonymous",
]
# Roles that never see a full ID or phone number (masked forms only, if anything).
NO_REVEAL = {"teacher", "edu_liaison", "leader", "auditor", "anonymous"}
# Roles that never see any child's name, ID number (even masked) or phone.
NO_PERSONAL_DATA = {"leader", "auditor", "anonymous"}
MISSING = 999_999
SESSION_ENDING = {"accounts:logout", "admin:logout"}
# Answers that do not follow from the capability table, with the reason.
FIXED = {
    "accounts:logout": {"login"},  # logging out ends on the login page
    "admin:login": {"allowed"},  # the admin's own login form, shown to anyone
    "admin:logout": {"allowed", "login"},
}
# Inside the admin site, the city administrator meets Django's model permissions (403) and
# missing objects (404): the admin's own rules, not access.policy's. Everyone else is sent to log in.
ADMIN_AS_CITY_ADMIN = {"allowed", "403", "404"}


@dataclass
class Param:
    """How to fill a parametrised URL: kwargs for the object inside 岳口镇 and outside (多宝镇),
    and who may reach each: ``scope`` is "child" (the object's child in children_visible),
    "psych" (psych_visible), "global" (no area: outside is a missing id, 404 for everyone), or a
    dict {"in": personas, "out": personas} for objects scoped by uploader, department or township."""

    inside: Callable
    outside: Callable
    scope: object = "child"
    gate: Callable | None = None  # an extra rule on top of the capability: False → 403


def _pk(key):
    return lambda w, side: {"pk": w[f"{key}_{side}"].pk}


def _child(arg="pk"):
    return lambda w, side: {arg: w.children[side].pk}


def _global(key):
    return lambda w, side: {"pk": w[key].pk if side == "in" else MISSING}


def _education(user) -> bool:
    from schools.selectors import is_education_bureau

    return is_education_bureau(user)


def both(fn):
    return {"inside": lambda w: fn(w, "in"), "outside": lambda w: fn(w, "out")}


PARAMS: dict[str, Param] = {
    # registry
    "registry:detail": Param(**both(_child())),
    "registry:edit": Param(**both(_child())),
    "registry:reveal": Param(**both(_child())),
    "registry:close": Param(**both(_child())),
    "registry:reopen": Param(**both(_child())),
    "registry:transfer_request": Param(**both(_child())),
    "registry:transfer_file": Param(**both(_child())),
    "registry:document_upload": Param(**both(_child())),
    "registry:document_download": Param(**both(_pk("document"))),
    "registry:transfer_decide": Param(
        **both(_pk("transfer")),
        scope={"in": {"admin", "yuekou_supervisor"}, "out": {"admin", "duobao_supervisor"}},
    ),
    "registry:census_progress": Param(**both(_global("census")), scope="global"),
    "registry:census_close": Param(**both(_global("census")), scope="global"),
    "registry:census_worklist": Param(**both(_global("census")), scope="global"),
    "registry:census_task": Param(**both(_pk("task"))),
    "registry:closure_decide": Param(**both(_pk("closure"))),
    "registry:census_task_update": Param(**both(_pk("task"))),
    "registry_api_child": Param(**both(_child())),
    # ledger: an import is seen by its uploader and the city administrator
    "ledger:preview": Param(
        **both(_pk("import")),
        scope={"in": {"admin", "yuekou_supervisor"}, "out": {"admin", "duobao_supervisor"}},
    ),
    "ledger:confirm": Param(
        **both(_pk("import")),
        scope={"in": {"admin", "yuekou_supervisor"}, "out": {"admin", "duobao_supervisor"}},
    ),
    "ledger:rejected": Param(
        **both(_pk("import")),
        scope={"in": {"admin", "yuekou_supervisor"}, "out": {"admin", "duobao_supervisor"}},
    ),
    # care
    "care:child": Param(**both(_child())),
    "care:visit_create": Param(**both(_child())),
    "care:flag_create": Param(**both(_child())),
    "care:assessment_create": Param(**both(lambda w, side: {"pk": w.children[side].pk, "code": "risk"})),
    "care:escalation_create": Param(**both(_child())),
    "care:visit_edit": Param(**both(_pk("visit"))),
    "care:follow_up_done": Param(**both(_pk("follow_up"))),
    "care:flag_close": Param(**both(_pk("flag"))),
    "care:flag_approve": Param(**both(_pk("flag"))),
    "care:exit_decide": Param(**both(_pk("exit"))),
    "care:escalation_document": Param(**both(_pk("step"))),
    "care:intake_detail": Param(
        **both(_pk("help")),
        scope={"in": {"admin", "yuekou_supervisor"}, "out": {"admin", "duobao_supervisor"}},
    ),
    "care:intake_reveal": Param(
        **both(_pk("help")),
        scope={"in": {"admin", "yuekou_supervisor"}, "out": {"admin", "duobao_supervisor"}},
    ),
    "care_api_visit_create": Param(**both(_child())),
    # service list
    "servicelist:version_detail": Param(**both(_global("version")), scope="global"),
    "servicelist:service_new": Param(**both(_global("version")), scope="global"),
    "servicelist:service_edit": Param(
        **both(
            lambda w, side: (
                {"pk": w["version"].pk, "no": w["version"].services.order_by("no").first().no}
                if side == "in"
                else {"pk": MISSING, "no": 1}
            )
        ),
        scope="global",
    ),
    "servicelist:version_preview": Param(**both(_global("version")), scope="global"),
    "servicelist:version_publish": Param(**both(_global("version")), scope="global"),
    "servicelist:child": Param(**both(_child())),
    "servicelist:referral_new": Param(**both(_child())),
    "servicelist:entitlement_status": Param(
        **both(lambda w, side: {"pk": w.children[side].pk, "no": w[f"entitlement_{side}"].no})
    ),
    "servicelist:need_flag": Param(**both(_child())),
    "servicelist:inbox_detail": Param(**both(_pk("referral")), scope={"in": {"edu_liaison"}, "out": set()}),
    "servicelist:inbox_action": Param(
        **both(lambda w, side: {"pk": w[f"referral_{side}"].pk, "action": "accept"}),
        scope={"in": {"edu_liaison"}, "out": set()},
    ),
    "servicelist_api_child_entitlements": Param(**both(_child())),
    "servicelist_api_inbox_action": Param(
        **both(lambda w, side: {"pk": w[f"referral_{side}"].pk, "action": "accept"}),
        scope={"in": {"edu_liaison"}, "out": set()},
    ),
    # exchange: batches are the city's (file imports) or a department's (its API pushes)
    "exchange:batch": Param(
        inside=lambda w: {"pk": w["batch_file"].pk}, outside=lambda w: {"pk": MISSING}, scope="global"
    ),
    "exchange:batch_progress": Param(
        inside=lambda w: {"pk": w["batch_file"].pk}, outside=lambda w: {"pk": MISSING}, scope="global"
    ),
    "exchange:batch_report": Param(
        inside=lambda w: {"pk": w["batch_file"].pk}, outside=lambda w: {"pk": MISSING}, scope="global"
    ),
    "exchange:mapping": Param(
        inside=lambda w: {"pk": w["batch_file"].pk}, outside=lambda w: {"pk": MISSING}, scope="global"
    ),
    "exchange:rollback": Param(
        inside=lambda w: {"pk": w["batch_file"].pk}, outside=lambda w: {"pk": MISSING}, scope="global"
    ),
    "exchange-batch": Param(
        inside=lambda w: {"pk": w["batch_api"].pk},
        outside=lambda w: {"pk": w["batch_file"].pk},
        scope={"in": {"edu_liaison"}, "out": set()},
    ),
    "exchange:review_item": Param(
        **both(_pk("review")),
        scope={"in": {"admin", "yuekou_supervisor"}, "out": {"admin", "duobao_supervisor"}},
    ),
    "exchange:child_feeds": Param(**both(_child("child_pk"))),
    # schools
    "schools:school_detail": Param(
        **both(_pk("school")),
        scope={
            "in": {"admin", "yuekou_supervisor", "yuekou_director", "edu_liaison", "teacher"},
            "out": {"admin", "duobao_supervisor", "edu_liaison"},
        },
    ),
    "schools:calendar_edit": Param(**both(_global("year")), scope="global", gate=_education),
    "schools:calendar_new": Param(inside=None, outside=None, gate=_education),
    "schools:activity_detail": Param(
        **both(_pk("activity")),
        scope={"in": {"admin", "yuekou_supervisor", "teacher"}, "out": {"admin", "duobao_supervisor"}},
    ),
    "schools:activity_add_children": Param(
        **both(_pk("activity")),
        scope={"in": {"admin", "yuekou_supervisor", "teacher"}, "out": {"admin", "duobao_supervisor"}},
    ),
    "schools:activity_add_attachments": Param(
        **both(_pk("activity")),
        scope={"in": {"admin", "yuekou_supervisor", "teacher"}, "out": {"admin", "duobao_supervisor"}},
    ),
    "schools:attachment_download": Param(
        **both(lambda w, side: {"pk": w[f"activity_{side}"].pk, "attachment_id": w[f"attachment_{side}"].pk}),
        scope={"in": {"admin", "yuekou_supervisor", "teacher"}, "out": {"admin", "duobao_supervisor"}},
    ),
    "schools:psych_child": Param(**both(_child("child_pk")), scope="psych", gate=may_use_psych),
    "schools:psych_new": Param(**both(_child("child_pk")), scope="psych", gate=may_use_psych),
    "schools:psych_list": Param(inside=None, outside=None, gate=may_use_psych),
    # stats
    "stats-api:measure": Param(
        inside=lambda w: {"name": _a_measure()}, outside=lambda w: {"name": "no_such_measure"}, scope="global"
    ),
}


def _a_measure() -> str:
    from stats.selectors import MEASURES

    return next(spec.name for spec in MEASURES.values() if spec.for_departments)


# ---------------------------------------------------------------- requests and answers


def _login(user) -> Client:
    client = Client()
    if user is None:
        return client
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="测试令牌", defaults={"confirmed": True})
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def _is_api(route: str) -> bool:
    return route.startswith("api/")


def _methods(callback) -> set[str]:
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    actions = getattr(callback, "actions", None)
    if actions:
        return set(actions)
    if view_class is not None:
        return {m for m in view_class.http_method_names if hasattr(view_class, m)}
    return {"get", "post"}


def _request(client, path: str, methods: set[str]):
    """GET (POST with empty data where the view only takes POST), in a transaction rolled back
    afterwards so that every cell sees the same world. Returns (method, response or exception)."""
    method = "get" if "get" in methods else "post"
    for attempt in (method, "post"):
        with transaction.atomic():
            try:
                response = getattr(client, attempt)(path)
            except Exception as exc:  # noqa: BLE001 - a crash is a finding
                response = exc
            transaction.set_rollback(True)
        if isinstance(response, Exception) or response.status_code != 405 or attempt == "post":
            return attempt, response
    return method, response


def _answer(response, *, api: bool, method: str) -> str:
    if isinstance(response, Exception):
        return f"500 ({type(response).__name__}: {response})"
    code = response.status_code
    if 300 <= code < 400:
        return "login" if "/login/" in response.get("Location", "") else "allowed"
    if 200 <= code < 300:
        return "allowed"
    if code == 401:
        return "login"
    if code == 400 and method == "post":
        return "allowed"  # the view ran and refused the empty form
    if code in (403, 404):
        return str(code)
    return str(code)


def _body_text(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind or content[:2] == b"PK":
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        except Exception:  # noqa: BLE001 - not a workbook (a docx or zip): search the bytes
            return content.decode("latin-1")
        return "\n".join(
            str(v)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for v in row
            if v
        )
    text = content.decode("utf-8", errors="replace")
    if "json" in kind:
        try:
            text = json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    return text


@dataclass
class Leaks:
    out_of_scope: dict  # persona -> {label: strings}
    personal: dict  # label -> strings: every child's
    full_numbers: dict  # label -> strings
    incoming: dict  # persona -> names of children being transferred into the persona's township


def _leak_tables(world, users) -> Leaks:
    everyone = {}
    full = {}
    out_of_scope = {}
    per_child = {c.pk: world.identifiers(c) for c in world.children.values()}
    for child in world.children.values():
        ident = per_child[child.pk]
        for label, values in ident.items():
            for value in values:
                everyone[value] = f"{label} of {child.file_no}"
                if label in ("id_full", "phone_full"):
                    full[value] = f"{label} of {child.file_no}"
    for persona, user in users.items():
        if user is None:
            continue
        visible = set(children_visible(user).values_list("pk", flat=True))
        hidden = {}
        for child in world.children.values():
            if child.pk in visible:
                continue
            ident = per_child[child.pk]
            for label in ("names", "id_full", "id_masked", "phone_full", "phone_masked"):
                for value in ident[label]:
                    hidden[value] = f"{label} of {child.file_no}"
        out_of_scope[persona] = hidden
    from registry.selectors import transfers_incoming

    incoming = {
        persona: {t.child.name for t in transfers_incoming(user)} if user is not None else set()
        for persona, user in users.items()
    }
    return Leaks(out_of_scope=out_of_scope, personal=everyone, full_numbers=full, incoming=incoming)


# The receiving supervisor decides on a transfer knowing the child's name (not the file).
TRANSFER_PAGES = {"registry:transfers", "registry:transfer_decide"}
# The audited reveals: the only answers that may carry a full ID or phone number to the roles
# that may reveal. Every other page — every form included — shows numbers masked, to everyone.
AUDITED_REVEALS = {"registry:reveal", "care:intake_reveal"}


def _leaks(persona: str, text: str, leaks: Leaks, url_name: str) -> list[str]:
    found = []
    hidden = leaks.out_of_scope.get(persona, {})
    if url_name in TRANSFER_PAGES:
        hidden = {k: v for k, v in hidden.items() if k not in leaks.incoming.get(persona, set())}
    tables = [hidden]
    if persona in NO_PERSONAL_DATA:
        tables.append(leaks.personal)
    if persona in NO_REVEAL or url_name not in AUDITED_REVEALS:
        tables.append(leaks.full_numbers)
    for table in tables:
        for value, label in table.items():
            if value and value in text:
                found.append(label)
    return sorted(set(found))


# ---------------------------------------------------------------- expectations


def _capabilities(callback):
    caps = getattr(callback, "_access_capabilities", None)
    if caps:
        return tuple(caps)
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    permissions = list(getattr(callback, "initkwargs", {}).get("permission_classes", ()) or ())
    if not permissions and view_class is not None:
        permissions = list(getattr(view_class, "permission_classes", ()))
    for permission in permissions:
        if getattr(permission, "required", None):
            return tuple(permission.required)
    return ()


def _visible(param: Param, side: str, persona: str, user, world) -> bool:
    if param.scope == "global":
        return side == "in"
    if param.scope == "child":
        return children_visible(user).filter(pk=world.children[side].pk).exists()
    if param.scope == "psych":
        return psych_visible(user).filter(pk=world.children[side].pk).exists()
    return persona in param.scope[side]


def _expected(kind, caps, param, side, persona, user, world, route_name) -> set[str]:
    if route_name in FIXED:
        return FIXED[route_name]
    if kind == "public":
        return {"login"} if route_name == "accounts:otp_verify" and user is None else {"allowed"}
    if kind == "admin":
        return ADMIN_AS_CITY_ADMIN if persona == "admin" else {"login"}
    if user is None:
        return {"login"}
    if not any(has_capability(user, c) for c in caps):
        return {"403"}
    if param is not None and param.gate is not None and not param.gate(user):
        return {"403"}
    if param is None or param.inside is None:
        return {"allowed"}
    return {"allowed"} if _visible(param, side, persona, user, world) else {"404"}


def _admin_kwargs(name: str, route: str):
    """Admin URLs: the first object of the model (the admin is the city administrator's alone)."""
    kwargs = {}
    for key in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route):
        key = key[0] or key[1]
        if key in ("object_id", "pk", "id"):
            from django.contrib.auth import get_user_model

            model = get_user_model() if name.startswith("admin:auth_user_") else None
            for registered in admin_site._registry:
                prefix = f"admin:{registered._meta.app_label}_{registered._meta.model_name}_"
                if name.startswith(prefix):
                    model = registered
            first = model.objects.order_by("pk").first() if model is not None else None
            kwargs[key] = str(first.pk) if first is not None else str(MISSING)
        elif key == "app_label":
            kwargs[key] = "registry"
        elif key == "content_type_id":
            from django.contrib.contenttypes.models import ContentType

            from registry.models import Child

            kwargs[key] = str(ContentType.objects.get_for_model(Child).pk)
        elif key == "url":
            kwargs[key] = "registry/child/"
        else:
            return None
    return kwargs


def _admin_path(route: str, kwargs: dict) -> str:
    path = route
    for key, value in kwargs.items():
        path = re.sub(rf"\(\?P<{key}>[^)]*\)", value, path)
        path = re.sub(rf"<(?:\w+:)?{key}>", value, path)
    return "/" + path.replace("^", "").replace("$", "")


@pytest.mark.django_db
def test_permission_matrix(city, tmp_path, settings):
    from django.urls import reverse

    settings.MEDIA_ROOT = str(tmp_path / "media")
    started = time.perf_counter()
    world = build_world(city, tmp_path)
    users = {p: (None if p == "anonymous" else getattr(city, p)) for p in PERSONAS}
    for user in users.values():
        if user is not None:
            scope_of(user)  # warm the cached scope once per persona
    clients = {p: _login(u) for p, u in users.items()}
    leaks = _leak_tables(world, users)

    missing, failures, cells, bodies = [], [], 0, 0
    admin_saw_child = False
    tally = {p: Counter() for p in PERSONAS}
    urls = set()
    for name, route, callback in walk():
        kind = classify(name, callback, route)
        if kind == "unprotected":
            failures.append(f"{route}: unprotected (see web/tests/test_url_walk.py)")
            continue
        caps = _capabilities(callback)
        methods = _methods(callback)
        parametrised = "<" in route or "(?P<" in route
        param = PARAMS.get(name)
        sides: list[tuple[str, str]] = []
        if kind == "admin":
            kwargs = _admin_kwargs(name, route) if parametrised else {}
            if kwargs is None:
                missing.append(f"{name} ({route}): admin URL with unknown parameters")
                continue
            sides = [("in", _admin_path(route, kwargs))]
        elif parametrised:
            if param is None or param.inside is None:
                missing.append(f"{name} ({route})")
                continue
            for side, fill in (("in", param.inside), ("out", param.outside)):
                sides.append((side, reverse(name, kwargs=fill(world))))
        else:
            sides = [("in", "/" + route)]
        urls.add(name or route)
        for side, path in sides:
            for persona in PERSONAS:
                user = users[persona]
                expected = _expected(kind, caps, param, side, persona, user, world, name)
                # Logging out ends the session: that cell gets a client of its own.
                client = _login(user) if name in SESSION_ENDING else clients[persona]
                method, response = _request(client, path, methods)
                answer = _answer(response, api=_is_api(route), method=method)
                if persona == "anonymous" and _is_api(route) and answer == "403" and kind != "public":
                    answer = "login"  # DRF answers 403 when session authentication comes first
                cells += 1
                tally[persona][answer if answer in ("allowed", "403", "404", "login") else "other"] += 1
                if answer not in expected:
                    failures.append(
                        f"{method.upper()} {path} as {persona} ({side}): {answer}, expected {'/'.join(sorted(expected))}"
                    )
                    continue
                if answer == "allowed" and not isinstance(response, Exception) and response.status_code < 300:
                    text = _body_text(response)
                    bodies += 1
                    if persona == "admin" and world.children["in"].name in text:
                        admin_saw_child = True
                    found = _leaks(persona, text, leaks, name)
                    if found:
                        failures.append(
                            f"{method.upper()} {path} as {persona} ({side}) leaks: {', '.join(found)}"
                        )
    elapsed = time.perf_counter() - started
    print(
        f"\npermission matrix: {len(urls)} URLs × {len(PERSONAS)} personas, {cells} cells "
        f"(in- and out-of-scope objects for parametrised URLs), {bodies} bodies searched, {elapsed:.1f} s"
    )
    for persona in PERSONAS:
        counts = tally[persona]
        print(
            f"  {persona:<18} allowed {counts['allowed']:>4}  403 {counts['403']:>4}  "
            f"404 {counts['404']:>4}  login {counts['login']:>4}  other {counts['other']:>3}"
        )
    # The search itself works: the city administrator's pages do show the 岳口镇 child's name.
    assert admin_saw_child and bodies > 100
    assert not missing, (
        "parametrised URLs missing from quality/tests/test_permission_matrix.py PARAMS — add how to get "
        "an in-scope and an out-of-scope value:\n" + "\n".join(missing)
    )
    assert not failures, f"{len(failures)} matrix cells failed:\n" + "\n".join(failures)
