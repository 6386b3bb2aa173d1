"""What the schools app adds to a child's file page: the activities the child took part in
(counted per type, the latest listed) and, for those entitled, a link to the psychological
file — never its content, which is read (and audited) on its own page.

``sections(user, child) -> list[dict]``: each ``{"title", "html", "order"}``; the registry's
file page collects them from every ``<app>/file_sections.py``. The caller has already
checked that the child is visible to the user.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from access.policy import can_view_psych, has_capability
from schools.selectors import activities_visible, child_activity_counts


def sections(user, child) -> list[dict]:
    if not (has_capability(user, "schools.view") or has_capability(user, "registry.view")):
        return []
    counts = child_activity_counts(child)
    total = sum(n for _label, n in counts)
    # The latest are some of the counted activities (the list shows only their date, type and
    # title): none counted, none to list.
    latest = list(activities_visible(user).filter(participations__child=child)[:10]) if total else []
    html = render_to_string(
        "schools/_file_section.html",
        {
            "counts": counts,
            "total": total,
            "latest": latest,
            "child": child,
            "psych": can_view_psych(user, child),
        },
    )
    return [{"title": f"关爱活动（{total}）", "html": html, "order": 60}]
