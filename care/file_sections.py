"""The care part of a child's file, for the registry's file page.

``sections(user, child)`` returns the sections this app adds to the file of a child the user
has already opened (the registry checked scope with ``get_child_or_404``): each a
``FileSection`` with a title, the rendered HTML and an order. The standalone page
``care:child`` shows the same record in full.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from access.policy import has_capability
from care import selectors


@dataclass(frozen=True)
class FileSection:
    key: str
    title: str
    html: SafeString
    order: int = 50


def sections(user, child) -> list[FileSection]:
    if not has_capability(user, "care.view"):
        return []
    care = selectors.care_record(user, child, on=timezone.localdate())
    html = render_to_string(
        "care/_care_section.html",
        {"child": child, "care": care, "current_step": care.steps[-1] if care.steps else None},
    )
    return [FileSection("care", "重点关注与走访", html, 30)]
