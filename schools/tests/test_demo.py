"""The demo city has calendars, activities, assessments and a compliance picture with gaps."""

import datetime as dt

from django.core.management import call_command

from accounts.models import User
from network.selectors import coverage
from schools import compliance
from schools.models import Activity, PsychAssessment, School, SchoolYear

ON = dt.date(2026, 2, 1)  # winter vacation: the first semester is over


def test_demo_city_has_a_picture_with_gaps(db):
    call_command("seed_demo", children=400, seed=5, on=ON, quiet=True)
    assert set(SchoolYear.objects.filter(school=None).values_list("name", flat=True)) == {
        "2024-2025",
        "2025-2026",
    }
    types = set(Activity.objects.values_list("type", flat=True))
    assert {"family_guidance", "home_visit", "legal_education", "safety_lecture", "tongban_mama"} <= types
    assert Activity.objects.filter(participations__isnull=False).exists()
    abnormal = PsychAssessment.objects.filter(result="abnormal")
    assert abnormal.exists()
    from care.models import RiskFlag

    for assessment in abnormal:
        assert RiskFlag.objects.filter(child=assessment.child, category__code="psych_behaviour").exists()
    first_term = compliance.picture(School.objects.all(), on=ON, span=compliance.SEMESTER)
    assert first_term.count("done") and first_term.count("overdue")
    result = coverage(User.objects.get(username="demo_admin"))
    assert not result["full"] and any(r["percent"] == 100 for r in result["rows"])
    assert all(a.date <= ON for a in Activity.objects.all())
