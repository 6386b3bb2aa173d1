"""Table cells of the statistics: thousands separators for counts, "—" for no value."""

from django import template

register = template.Library()


@register.filter
def cell(value):
    if value is None:
        return "—"
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return value
