"""The schools API (/api/v1/schools/): obligations and the compliance picture — aggregates,
no personal data, scoped like the pages (schools_visible)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api import HasCapability
from schools import compliance
from schools.models import Obligation
from schools.selectors import schools_visible


class ObligationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Obligation
        fields = [
            "code",
            "name",
            "basis",
            "cadence",
            "scope",
            "min_count",
            "evidence",
            "activity_type",
            "school_kinds",
            "min_grade",
            "effective_from",
            "effective_to",
        ]


class ObligationList(APIView):
    permission_classes = [HasCapability("schools.view")]

    @extend_schema(responses=ObligationSerializer(many=True), summary="学校工作要求（含生效日期）")
    def get(self, request):
        return Response(ObligationSerializer(Obligation.objects.all(), many=True).data)


class ComplianceQuery(serializers.Serializer):
    span = serializers.ChoiceField(
        choices=[compliance.SEMESTER, compliance.YEAR],
        default=compliance.SEMESTER,
        error_messages={"invalid_choice": "span 只能是 semester 或 year"},
    )
    on = serializers.DateField(required=False, error_messages={"invalid": "on 应为 YYYY-MM-DD 格式的日期"})
    township = serializers.IntegerField(
        required=False, min_value=1, error_messages={"invalid": "township 应为数字"}
    )


class Compliance(APIView):
    permission_classes = [HasCapability("schools.view")]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "span", OpenApiTypes.STR, description="semester（本学期，默认）或 year（本学年）"
            ),
            OpenApiParameter("on", OpenApiTypes.DATE, description="统计日期，默认今天"),
            OpenApiParameter("township", OpenApiTypes.INT, description="乡镇（街道）id"),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="学校工作要求落实情况（按学校、周期；汇总数据）",
    )
    def get(self, request):
        query = ComplianceQuery(data=request.query_params)
        if not query.is_valid():
            return Response(query.errors, status=400)
        params = query.validated_data
        schools = schools_visible(request.user).filter(active=True)
        if params.get("township"):
            schools = schools.filter(township_id=params["township"])
        on = params.get("on") or timezone.localdate()
        picture = compliance.picture(schools, on=on, span=params["span"])
        return Response(
            {
                "on": on,
                "span": picture.span,
                "counts": {s: picture.count(s) for s in ("done", "due", "overdue", "upcoming")},
                "without_calendar": [s.pk for s in picture.without_calendar],
                "lines": [
                    {
                        "school": line.school.pk,
                        "school_name": line.school.name,
                        "township": line.school.township.name,
                        "obligation": line.obligation.code,
                        "period": line.period.key,
                        "start": line.period.start,
                        "deadline": line.period.deadline,
                        "required": line.required,
                        "done": line.done,
                        "status": line.status,
                    }
                    for line in picture.lines
                ],
            }
        )
