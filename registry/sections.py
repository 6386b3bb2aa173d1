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
from importlib import import_module
from types import ModuleType

from django.apps import apps
from django.template.loader import render_to_string


@dataclass
class Section:
    title: str
    template: str = ""
    context: dict = field(default_factory=dict)
    order: int = 100
    html: str = ""


# App name -> its file_sections module, or None: looked up once per process (a failed import
# searches the file system again every time, and the file page is opened all day).
_SECTION_MODULES: dict[str, ModuleType | None] = {}


def _modules():
    for config in apps.get_app_configs():
        if config.name not in _SECTION_MODULES:
            try:
                _SECTION_MODULES[config.name] = import_module(f"{config.name}.file_sections")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.file_sections":
                    raise
                _SECTION_MODULES[config.name] = None
        module = _SECTION_MODULES[config.name]
        if module is not None:
            yield module


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
