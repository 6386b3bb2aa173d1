"""Each persona's day in the browser, page by page, judged as the persona would judge it.

The director works on a phone (360 px), the desk staff at 1366 px (the menu is also checked
at 1024 px), a family reads the public pages on a phone. On every page: nothing wider than
the screen, the menu on one line at desk widths, no English or internal codes, no Chinese name
broken one character per line, no serious or critical axe-core violation; on a phone, tap
targets of at least 44 px. Each page's screenshot is kept under var/e2e-screenshots
(persona-<who>-<nn>-<page>.png) for a person to look at.

Two seeded cities (one for the phone walks, one for the desk walks) keep the run short;
each walk reports every problem it met, not only the first.
"""

from __future__ import annotations

import re

import pytest

from e2e import walk
from e2e.conftest import PHONE, log_in, log_in_with_second_factor, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESK = {"width": 1366, "height": 900}
NARROW_DESK = {"width": 1024, "height": 768}


@pytest.fixture
def demo_city(db):
    """A small synthetic Tianmen as `make run` builds it: the personas, their villages and
    schools, children with visits, flags, referrals, activities and department data."""
    from django.core.management import call_command

    from common.testing import ensure_reference_data

    ensure_reference_data()
    call_command("seed_demo", children=300, quiet=True, stdout=open("/dev/null", "w"))  # noqa: SIM115


def _context(browser, live_server, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def _fresh_screenshots(who: str) -> None:
    from e2e.conftest import SCREENSHOTS

    for old in SCREENSHOTS.glob(f"persona-{who}-*.png"):
        old.unlink()


def _judge(page, who: str, number: int, label: str, *, phone: bool) -> list[str]:
    page.wait_for_load_state("networkidle")
    shot(page, f"persona-{who}-{number:02d}-{label}")
    problems = walk.overflow(page, phone=phone) + walk.english_and_codes(page) + walk.broken_names(page)
    problems += walk.small_targets(page) if phone else walk.nav_on_one_line(page)
    problems += walk.axe_violations(page)
    if page.locator("h1").count() == 0:
        problems.append("no page heading (h1)")
    return [f"{who} {page.url.split('//', 1)[1].split('/', 1)[1] or '/'}: {p}" for p in problems]


def _walk(page, who: str, paths: list[str], *, phone: bool, start: int = 1) -> list[str]:
    problems = []
    for number, path in enumerate(paths, start=start):
        response = page.goto(path)
        assert response is not None and response.status == 200, (
            f"{who} {path}: {response and response.status}"
        )
        problems += _judge(page, who, number, _slug(path), phone=phone)
    return problems


def _first(queryset):
    found = queryset.order_by("pk").first()
    assert found is not None, f"the demo city has no {queryset.model.__name__}"
    return found.pk


def test_director_walks_her_day_on_a_phone(browser, live_server, demo_city):
    from accounts.models import User
    from care.models import Visit
    from registry.models import Child

    director = User.objects.get(username="yuekou_director")
    village = director.assignments.get().unit
    child = _first(Child.objects.filter(village=village, closed_at__isnull=True))
    visited = _first(Visit.objects.filter(child__village=village))
    _fresh_screenshots("director")
    context, page = _context(browser, live_server, PHONE)
    try:
        log_in(page, "yuekou_director")
        problems = _judge(page, "director", 0, "home", phone=True)
        # The menu on a phone: every entry one tap away, under its group's heading.
        page.click(".navbar-toggler")
        page.wait_for_selector("#mainnav.show")
        menu = page.locator("#mainnav").inner_text()
        assert menu.index("工作清单") < menu.index("儿童档案"), "the daily work comes first"
        problems += _judge(page, "director", 1, "menu", phone=True)
        problems += _walk(
            page,
            "director",
            [
                "/care/",
                "/care/?list=contacts",
                f"/care/child/{child}/",
                f"/care/child/{child}/visit/",
                f"/care/visit/{visited}/",
                "/children/",
                f"/children/{child}/",
                "/children/new/",
                "/children/census/",
                "/care/register/",
                "/care/compliance/",
                f"/services/children/{child}/",
                "/services/referrals/",
                "/schools/",
                "/schools/activities/",
                "/stats/",
                "/care/notifications/",
            ],
            phone=True,
            start=2,
        )
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


DESK_WALKS = {
    "supervisor": (
        "yuekou_supervisor",
        [
            "/care/",
            "/care/register/",
            "/care/compliance/",
            "/care/intake/",
            "{help_request}",
            "/children/",
            "{child}",
            "{child}edit/",
            "/children/transfers/",
            "/children/census/",
            "{census}",
            "/ledger/import/",
            "/ledger/export/",
            "/services/referrals/",
            "/exchange/review/",
            "/schools/compliance/",
            "/schools/psych/",
            "/stats/",
            "/stats/report/",
            "/services/gaps/",
            "/network/",
            "/network/training/",
        ],
    ),
    "teacher": (
        "yuekou_teacher",
        [
            "/schools/",
            "{school}",
            "/schools/activities/",
            "{activity}",
            "/schools/activities/new/",
            "/schools/compliance/",
            "/schools/obligations/",
            "/children/",
        ],
    ),
    "liaison": (
        "edu_liaison",
        ["/services/inbox/", "{referral}", "/schools/compliance/", "/schools/calendar/", "/stats/"],
    ),
    "leader": ("leader", ["/stats/", "/stats/report/", "/services/gaps/"]),
    "admin": (
        "demo_admin",
        [
            "/children/",
            "/children/census/",
            "/exchange/",
            "{batch}",
            "/exchange/national-export/",
            "/services/versions/",
            "{version}",
            "/network/roster/",
            "/network/training/",
            "/network/training/new/",
            "/schools/obligations/",
            "/stats/",
        ],
    ),
    "auditor": ("demo_auditor", ["/care/notifications/"]),
}


def test_desk_personas_walk_their_day(browser, live_server, demo_city):
    from accounts.models import User
    from care.models import HelpRequest
    from exchange.models import FeedBatch
    from registry.models import CensusRound, Child
    from schools.models import Activity
    from servicelist.models import Referral, ServiceListVersion

    supervisor = User.objects.get(username="yuekou_supervisor")
    teacher = User.objects.get(username="yuekou_teacher")
    township = supervisor.assignments.get().unit
    school = teacher.assignments.get().school_id
    pages = {
        "child": f"/children/{_first(Child.objects.filter(township=township, closed_at__isnull=True))}/",
        "school": f"/schools/{school}/",
        "help_request": f"/care/intake/{_first(HelpRequest.objects.filter(township=township))}/",
        "census": f"/children/census/{_first(CensusRound.objects.all())}/",
        "activity": f"/schools/activities/{_first(Activity.objects.filter(school_id=school))}/",
        "referral": f"/services/inbox/{_first(Referral.objects.filter(department__code='education'))}/",
        "batch": f"/exchange/batches/{_first(FeedBatch.objects.all())}/",
        "version": f"/services/versions/{_first(ServiceListVersion.objects.all())}/",
    }
    problems = []
    for who, (username, paths) in DESK_WALKS.items():
        paths = [p.format(**pages) for p in paths]
        _fresh_screenshots(who)
        context, page = _context(browser, live_server, DESK)
        try:
            if who in ("admin", "auditor"):
                log_in_with_second_factor(page, username)
            else:
                log_in(page, username)
            problems += _judge(page, who, 0, "home", phone=False)
            problems += _walk(page, who, paths, phone=False)
            # The same menu on a smaller desk screen.
            page.set_viewport_size(NARROW_DESK)
            page.goto("/")
            shot(page, f"persona-{who}-1024-home")
            problems += [
                f"{who} at 1024 px: {p}"
                for p in walk.nav_on_one_line(page) + walk.overflow(page, phone=False)
            ]
        finally:
            context.close()
    assert problems == [], "\n".join(problems)


def test_family_reads_the_public_pages_on_a_phone(browser, live_server, db):
    from common.testing import ensure_reference_data

    ensure_reference_data()
    _fresh_screenshots("family")
    context, page = _context(browser, live_server, PHONE)
    try:
        problems = _walk(
            page,
            "family",
            ["/services/", "/services/check/", "/care/help/", "/accounts/login/"],
            phone=True,
        )
        # A mistyped address: the Chinese page, never a list of URL patterns.
        assert page.goto("/no-such-page/").status == 404
        problems += _judge(page, "family", 9, "not-found", phone=True)
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
