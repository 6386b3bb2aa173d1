"""The dashboard, the printable report and the Excel workbook — all drawn from stats.selectors."""

from __future__ import annotations

import io
import threading

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_POST

from access.decorators import require
from access.policy import has_capability
from audit.services import record
from common.excel import write_xlsx
from stats import selectors
from stats.forms import StatsFilterForm
from stats.measure import quick_periods
from stats.services import refresh_aggregates

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(request):
    """(form, scope, period) from the query string; a township outside the scope is a 404."""
    on = timezone.localdate()
    base = selectors.scope_for(request.user)
    form = StatsFilterForm(request.GET or None, townships=selectors.townships_for(base), on=on)
    period = selectors.default_period(on)
    scope = base
    if form.is_bound:
        township = form.data.get("township") or None
        if form.is_valid():
            period = form.cleaned_data["period"]
            township = form.cleaned_data["township"]
        if township is not None and "township" not in form.errors and base.has_area:
            scope = selectors.scope_for(request.user, township_id=int(township))
    return form, scope, period, on


def _scope_label(scope: selectors.StatsScope) -> str:
    from places.models import Unit

    if scope.department_only:
        return "本部门转介"
    if scope.township_id is not None:
        return Unit.objects.get(pk=scope.township_id).name
    if scope.city_wide:
        return "天门市（全市）"
    names = list(
        Unit.objects.filter(pk__in=scope.township_ids).order_by("code").values_list("name", flat=True)
    )
    return "、".join(names)


# A measure's card (table, chart data) rendered once per process for the same figures: the
# city's dashboard is a thousand cells, the same for every reader until the next summary rebuild.
_CARD_CACHE_SIZE = 500
_card_html: dict[str, str] = {}
_card_lock = threading.Lock()


def _card(measure) -> dict:
    shown = selectors.suppress(measure)
    return {
        "measure": measure,
        "shown": shown,
        "chart": selectors.chart_payload(measure) if measure.chart_kind != "table" else None,
        "chart_id": f"chart-{measure.name}",
        "data_id": f"data-{measure.name}",
    }


def _cards(measures):
    cards = []
    for measure in measures:
        # The dataclass with every row (equal figures, equal card) in the page's language.
        key = f"{translation.get_language()}|{measure!r}"
        html = _card_html.get(key)
        if html is None:
            html = render_to_string("stats/_measure.html", {"card": _card(measure)})
            with _card_lock:
                if len(_card_html) >= _CARD_CACHE_SIZE:
                    _card_html.clear()
                _card_html[key] = html
        cards.append({"measure": measure, "html": html})
    return cards


def _page_context(request, *, for_print: bool = False):
    form, scope, period, on = _filters(request)
    measures = selectors.compute_all(scope=scope, on=on, period=period)
    as_of = selectors.data_as_of(scope) if scope.has_area else None
    stale = bool(scope.has_area and (as_of is None or timezone.localtime(as_of).date() < on))
    township = f"&township={scope.township_id}" if scope.township_id else ""
    quick = [
        {
            "label": label,
            "query": f"start={p.start.isoformat()}&end={p.end.isoformat()}{township}",
            "active": p == period,
        }
        for label, p in quick_periods(on)
    ]
    return {
        "quick_periods": quick,
        "form": form,
        "scope": scope,
        "scope_label": _scope_label(scope) if not scope.empty else "",
        "period": period,
        "on": on,
        "cards": _cards(measures),
        "as_of": as_of,
        "stale": stale,
        "query": request.GET.urlencode(),
        "for_print": for_print,
        "can_export": has_capability(request.user, "stats.export"),
    }


@require("stats.view")
def dashboard(request):
    return render(request, "stats/dashboard.html", _page_context(request))


@require("stats.export")
def report(request):
    context = _page_context(request, for_print=True)
    record(
        actor=request.user,
        action="export",
        object_type="stats.report",
        object_id=context["scope_label"][:64],
        summary=f"打印统计报告：{context['scope_label']}，{context['period'].label}",
    )
    context["printed_at"] = timezone.localtime()
    return render(request, "stats/report.html", context)


@require("stats.export")
def export(request):
    _form, scope, period, on = _filters(request)
    measures = [selectors.suppress(m) for m in selectors.compute_all(scope=scope, on=on, period=period)]
    label = _scope_label(scope) if not scope.empty else "无统计范围"
    as_of = selectors.data_as_of(scope) if scope.has_area else None
    about = [
        ["统计范围", label],
        ["统计期", period.label],
        ["汇总数据更新于", timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M") if as_of else "—"],
        ["导出时间", timezone.localtime().strftime("%Y-%m-%d %H:%M")],
        ["说明", f"1至4人的格子显示为“{selectors.SMALL_CELL_TEXT}”，以免识别到个人。"],
    ]
    sheets = [("说明", ["项目", "内容"], about)]
    for measure in measures:
        rows = list(measure.rows) + ([measure.total] if measure.total else [])
        sheets.append((measure.title, measure.columns, rows))
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    record(
        actor=request.user,
        action="export",
        object_type="stats.workbook",
        object_id=label[:64],
        summary=f"导出统计数据：{label}，{period.label}，{len(measures)} 项指标",
    )
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    filename = f"stats-{on.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require("stats.view")
@require_POST
def refresh(request):
    """Rebuild the summary of the viewer's townships now (after imports or corrections)."""
    _form, scope, _period, _on = _filters(request)
    if scope.has_area:
        refresh_aggregates(actor=request.user, township_ids=scope.townships)
    url = reverse("stats:dashboard")
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)
