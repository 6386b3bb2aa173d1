"""Sections other apps add to a child's file page (一人一档).

An app contributes by defining, in ``<app>/file_sections.py``::

    def sections(user, child) -> list[Section]

A section is a ``Section(title, template, context, order)`` rendered with its template, or
already rendered HTML (an object or dict with ``title``, ``html`` and ``order``). Sections are
shown after the registry's own, by ``order``. The caller has checked that the user may open
the child; a section shows only what the user may see (use access.policy as everywhere else).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.template.loader import render_to_string

from common.modules import app_modules


@dataclass
class Section:
    title: str
    template: str = ""
    context: dict = field(default_factory=dict)
    order: int = 100
    html: str = ""


def _modules():
    return app_modules("file_sections")


def _as_section(item) -> Section:
    if isinstance(item, Section):
        return item
    get = item.get if isinstance(item, dict) else lambda k, d=None: getattr(item, k, d)
    return Section(
        title=get("title", ""),
        template=get("template", "") or "",
        context=get("context", None) or {},
        order=get("order", 100),
        html=get("html", "") or "",
    )


def file_sections(user, child) -> list[Section]:
    found: list[Section] = []
    for module in _modules():
        builder = getattr(module, "sections", None)
        if builder is not None:
            found.extend(_as_section(item) for item in builder(user, child))
    return sorted(found, key=lambda s: s.order)


def rendered_sections(request, child) -> list[Section]:
    """The sections with their HTML, ready for the file page. HTML that is not marked safe
    (not produced by a template) is escaped by the page."""
    sections = file_sections(request.user, child)
    for section in sections:
        if section.template and not section.html:
            section.html = render_to_string(section.template, section.context, request=request)
    return sections
