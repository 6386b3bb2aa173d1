"""The measures over HTTP: the same selectors as the page, scoped the same way, counts only."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api import HasCapability
from stats import selectors
from stats.forms import StatsFilterForm

FILTER_PARAMETERS = [
    OpenApiParameter("township", OpenApiTypes.INT, description="乡镇（街道）id，须在本人统计范围内"),
    OpenApiParameter("start", OpenApiTypes.DATE, description="统计期开始日期（默认本年1月1日）"),
    OpenApiParameter("end", OpenApiTypes.DATE, description="统计期结束日期（默认今天）"),
]

MeasureSerializer = inline_serializer(
    "StatsMeasure",
    {
        "name": serializers.CharField(),
        "title": serializers.CharField(),
        "columns": serializers.ListField(child=serializers.CharField()),
        "rows": serializers.ListField(
            child=serializers.ListField(child=serializers.JSONField()),
            help_text="每行第一列为类别，其余为人数或比例；1至4人显示为“<5”",
        ),
        "total": serializers.ListField(child=serializers.JSONField(), allow_null=True),
        "chart_kind": serializers.CharField(),
        "note": serializers.CharField(),
        "scope": serializers.CharField(),
        "period_start": serializers.DateField(),
        "period_end": serializers.DateField(),
        "data_as_of": serializers.DateTimeField(allow_null=True),
    },
)


def _filters(request):
    on = timezone.localdate()
    base = selectors.scope_for(request.user)
    form = StatsFilterForm(request.query_params, townships=selectors.townships_for(base), on=on)
    if not form.is_valid():
        return None, None, on, {field: list(errors) for field, errors in form.errors.items()}
    scope = base
    if form.cleaned_data["township"] is not None and base.has_area:
        scope = selectors.scope_for(request.user, township_id=form.cleaned_data["township"])
    return scope, form.cleaned_data["period"], on, None


class MeasureListView(APIView):
    """The measures the caller may read."""

    permission_classes = [HasCapability("stats.view")]

    @extend_schema(
        responses={
            200: inline_serializer(
                "StatsMeasureName",
                {"name": serializers.CharField(), "url": serializers.CharField()},
                many=True,
            )
        }
    )
    def get(self, request):
        scope = selectors.scope_for(request.user)
        return Response(
            [
                {"name": spec.name, "url": f"/api/v1/stats/measures/{spec.name}"}
                for spec in selectors.measures_for(scope)
            ]
        )


class MeasureView(APIView):
    """One measure, for the caller's statistics scope (or one township within it)."""

    permission_classes = [HasCapability("stats.view")]

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: MeasureSerializer})
    def get(self, request, name: str):
        scope, period, on, errors = _filters(request)
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            measure = selectors.compute(name, scope=scope, on=on, period=period)
        except KeyError:
            return Response({"detail": "没有这项指标，或您无权查看"}, status=status.HTTP_404_NOT_FOUND)
        data = selectors.as_dict(measure)
        as_of = selectors.data_as_of(scope) if scope.has_area else None
        data.update(
            scope="city" if scope.townships is None else ",".join(map(str, scope.townships)) or "departments",
            period_start=period.start,
            period_end=period.end,
            data_as_of=as_of,
        )
        return Response(data)
