"""The care part of a child's file, for the registry's file page.

``sections(user, child)`` returns the sections this app adds to the file of a child the user
has already opened (the registry checked scope with ``get_child_or_404``): each a
``FileSection`` with a title, the rendered HTML and an order. The standalone page
``care:child`` shows the same record in full.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from access.policy import has_capability
from care import cadence
from care.models import CareStatus, EscalationStep, RiskFlag


@dataclass(frozen=True)
class FileSection:
    key: str
    title: str
    html: SafeString
    order: int = 50


@dataclass(frozen=True)
class FileSummary:
    """What the file's care section shows (``care/_care_section.html``): the summary row, the
    active flags and the current intervention step. The visits, assessments, exits and help
    requests of ``selectors.care_record`` are on the care page only, so they are not read here."""

    status: CareStatus | None
    flags: list
    current_step: EscalationStep | None
    overdue_visit: bool
    overdue_contact: bool


def file_summary(child, *, on: dt.date) -> FileSummary:
    """Indexed reads by the child (already in the user's scope). Most children have no active
    flag and no intervention step: the summary row says, in the same query, which of the two
    to read."""
    flags_qs = (
        RiskFlag.objects.filter(child=child, status=RiskFlag.Status.ACTIVE)
        .select_related("category")
        .order_by("-raised_on")
    )
    # The last step taken (what care_record's steps[-1] is).
    steps_qs = (
        EscalationStep.objects.filter(child=child).select_related("step_type").order_by("-taken_on", "-id")
    )
    status = (
        CareStatus.objects.filter(child=child)
        .annotate(has_flags=Exists(flags_qs), has_steps=Exists(steps_qs))
        .first()
    )
    flags = list(flags_qs) if status is None or status.has_flags else []
    step = steps_qs.first() if status is None or status.has_steps else None
    return FileSummary(
        status=status,
        flags=flags,
        current_step=step,
        overdue_visit=bool(status and status.needs_visit and cadence.is_overdue(status.next_visit_due, on)),
        overdue_contact=bool(
            status and status.key_attention and cadence.is_overdue(status.next_contact_due, on)
        ),
    )


def sections(user, child) -> list[FileSection]:
    if not has_capability(user, "care.view"):
        return []
    care = file_summary(child, on=timezone.localdate())
    html = render_to_string(
        "care/_care_section.html", {"child": child, "care": care, "current_step": care.current_step}
    )
    return [FileSection("care", "重点关注与走访", html, 30)]
