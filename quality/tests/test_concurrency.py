"""Two people at once: editing the same child or visit record (the second gets a clear conflict
and keeps what was typed, the first edit stays), and two imports of the same ledger in two
threads (no duplicate children; every row registered exactly once across the two reports)."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.testing import make_child
from registry.models import Child

from .world import ledger_csv, ledger_row


class _Form(HTMLParser):
    """The fields of the page's main form as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, list[str]]] = []
        self.data: dict[str, list[str]] = {}
        self._in_form = False
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._in_form = True
            self.data = {}
            self.forms.append(self.data)
            return
        if not self._in_form or not a.get("name") and tag != "option":
            return
        name = a.get("name")
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self.data.setdefault(self._select, []).append(value)
                self._select_chosen = True
        elif tag == "textarea":
            self._textarea = name
            self.data.setdefault(name, []).append("")

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form = False
        elif tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self.data.setdefault(self._select, []).append(self._select_first)
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data


def form_of(html: str) -> dict:
    """The page's edit form: the POST form that carries the record's version."""
    parser = _Form()
    parser.feed(html)
    data = next(f for f in parser.forms if "version" in f)
    return {k: v if len(v) > 1 else v[0] for k, v in data.items()}


def session(user) -> Client:
    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="测试令牌", defaults={"confirmed": True})
    s = client.session
    s["otp_device_id"] = device.persistent_id
    s.save()
    return client


def test_two_sessions_edit_the_same_child(city):
    child = make_child(village=city.yuekou_community, name="并发甲", guardian_phone="13900005555")
    url = reverse("registry:edit", args=[child.pk])
    first, second = session(city.yuekou_director), session(city.yuekou_supervisor)
    form_a = form_of(first.get(url).content.decode())
    form_b = form_of(second.get(url).content.decode())
    assert form_a["version"] == form_b["version"] == str(child.version)

    form_a["grade"] = "五年级"
    saved = first.post(url, form_a)
    assert saved.status_code == 302, saved.content.decode()[:2000]

    form_b["address"] = "岳口镇新街88号"
    form_b["grade"] = "六年级"
    answer = second.post(url, form_b)
    body = answer.content.decode()
    assert answer.status_code == 200
    assert "已被其他人修改" in body  # a clear Chinese conflict message
    assert "岳口镇新街88号" in body and 'value="六年级"' in body  # the second user's input is shown back
    child.refresh_from_db()
    assert child.grade == "五年级" and child.version == int(form_a["version"]) + 1  # the first edit persists
    assert child.address != "岳口镇新街88号"

    # After checking, the second user saves on top of the first edit.
    again = form_of(body)
    assert again["version"] == str(child.version)
    assert second.post(url, again).status_code == 302
    child.refresh_from_db()
    assert child.address == "岳口镇新街88号" and child.grade == "六年级"


def test_two_sessions_edit_the_same_visit(city):
    from care import services

    today = timezone.localdate()
    child = make_child(
        village=city.yuekou_community, name="并发乙", arrival_date=today - dt.timedelta(days=800)
    )
    visit = services.visit_create(
        outcome="reached",
        actor=city.yuekou_director,
        child=child,
        kind="上门走访",
        visited_on=today,
        notes="初次走访",
    )
    url = reverse("care:visit_edit", args=[visit.pk])
    first, second = session(city.yuekou_director), session(city.yuekou_supervisor)
    form_a = form_of(first.get(url).content.decode())
    form_b = form_of(second.get(url).content.decode())
    form_a["notes"] = "第一人补充：孩子已复学"
    assert first.post(url, form_a).status_code == 302
    form_b["notes"] = "第二人补充：家长外出务工"
    answer = second.post(url, form_b)
    body = answer.content.decode()
    assert answer.status_code == 200
    assert "已被他人修改" in body
    assert "第二人补充：家长外出务工" in body  # kept for the second user
    visit.refresh_from_db()
    assert visit.notes == "第一人补充：孩子已复学" and visit.version == 2


@contextlib.contextmanager
def shared_database(tmp_path):
    """Connections that really run side by side. PostgreSQL: the test database as it is. SQLite:
    the in-memory test database is shared-cache (a second writer fails at once with "table is
    locked", where a real deployment's file database waits), so the threads work on a file copy
    of it with the project's own connection options (WAL, IMMEDIATE, busy timeout)."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    path = tmp_path / "concurrency.sqlite3"
    target = sqlite3.connect(path)
    connection.ensure_connection()
    connection.connection.backup(target)
    target.close()
    original = connections.settings["default"]
    connections.settings["default"] = {**original, "NAME": str(path)}
    try:
        yield
    finally:
        connections.settings["default"] = original


def in_thread(fn):
    """Run fn on a connection of its own (the file copy under SQLite); return its result."""
    box = {}

    def target():
        try:
            box["value"] = fn()
        except Exception as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=120)
    if "error" in box:
        raise box["error"]
    return box["value"]


ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_ledger_at_once(transactional_db, city, tmp_path):
    from ledger import services
    from ledger.models import LedgerImportRow

    on = timezone.localdate()
    rows = [
        ledger_row("岳口镇", city.yuekou_community.name, name=f"并发{n:02d}", sequence=n, on=on)
        for n in range(1, 41)
    ]
    path = tmp_path / "台账.csv"
    path.write_bytes(ledger_csv(rows).read())
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def run(key, actor):
        try:
            barrier.wait(timeout=10)
            imp, outcomes = services.ledger_import_file(actor=actor, source=str(path), batch_size=10)
            results[key] = (imp.pk, [(o.number, o.outcome, o.reason) for o in outcomes])
        except Exception as exc:  # noqa: BLE001 - reported below
            results[key] = exc
        finally:
            connections.close_all()

    with shared_database(tmp_path):
        threads = [
            threading.Thread(target=run, args=("a", city.yuekou_supervisor)),
            threading.Thread(target=run, args=("b", city.admin)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        errors = {k: v for k, v in results.items() if isinstance(v, Exception)}
        assert not errors, f"an import failed ({connection.vendor}): {errors!r}"
        hashes = in_thread(
            lambda: list(Child.objects.filter(name__startswith="并发").values_list("id_hash", flat=True))
        )
        stored = in_thread(lambda: LedgerImportRow.objects.filter(outcome="registered").count())

    # No duplicate children: one file per ID number.
    assert len(hashes) == len(set(hashes)) == len(rows)
    # Every row registered exactly once across the two reports; the other report updated it or
    # refused it as already filed — never lost, never registered twice.
    by_row: dict[int, list[str]] = {}
    for _pk, outcomes in results.values():
        for number, outcome, _reason in outcomes:
            by_row.setdefault(number, []).append(outcome)
    assert len(by_row) == len(rows)
    split = {k: sum(o == "registered" for _n, o, _r in v[1]) for k, v in results.items()}
    print(f"\nconcurrent imports ({connection.vendor}): rows registered by each import {split}")
    for number, outcomes in by_row.items():
        assert outcomes.count("registered") == 1, (number, outcomes)
        assert set(outcomes) <= {"registered", "updated", "rejected"}, (number, outcomes)
    assert stored == len(rows)
