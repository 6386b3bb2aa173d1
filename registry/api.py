"""The registry API (/api/v1/registry/): scoped, read-only, identifiers masked."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination

from access.api import HasCapability
from audit.services import record
from registry import selectors
from registry.models import Child, Guardian
from registry.paging import CappedPaginator


class ChildPagination(PageNumberPagination):
    """``count`` stops at 10,000 (then ``count_capped`` is true): no full COUNT over a city."""

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.capped
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_capped"] = {"type": "boolean"}
        return schema


class GuardianSerializer(serializers.ModelSerializer):
    phone_masked = serializers.CharField(read_only=True, help_text="脱敏的联系电话")
    id_masked = serializers.CharField(read_only=True, help_text="脱敏的身份证号")

    class Meta:
        model = Guardian
        fields = ["name", "relationship", "phone_masked", "id_masked", "is_primary"]


class ChildListSerializer(serializers.ModelSerializer):
    township = serializers.CharField(source="township.name", read_only=True)
    village = serializers.CharField(source="village.name", read_only=True, default="")
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Child
        fields = [
            "id",
            "file_no",
            "name",
            "sex",
            "birth_date",
            "id_masked",
            "township",
            "village",
            "migrant_status",
            "status_reason",
            "is_open",
            "closed_at",
            "close_reason",
            "last_verified_on",
        ]


class ChildDetailSerializer(ChildListSerializer):
    hukou_county = serializers.CharField(source="hukou_county_id", read_only=True, default=None)
    guardians = serializers.SerializerMethodField()

    class Meta(ChildListSerializer.Meta):
        fields = ChildListSerializer.Meta.fields + [
            "ethnicity",
            "hukou_county",
            "hukou_address",
            "arrival_date",
            "migrant_from",
            "address",
            "moved_with",
            "school_stage",
            "school_name",
            "grade",
            "health",
            "disability_category",
            "disability_level",
            "security",
            "residence_permit",
            "insurance_place",
            "housing_difficulty",
            "close_destination",
            "version",
            "guardians",
        ]

    @extend_schema_field(GuardianSerializer(many=True))
    def get_guardians(self, child) -> list[dict]:
        return GuardianSerializer(child.household.guardians.all(), many=True).data


LIST_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="姓名（前缀）、拼音、档案编号或完整的18位身份证号"),
    OpenApiParameter("township", OpenApiTypes.INT, description="乡镇（街道）ID"),
    OpenApiParameter("village", OpenApiTypes.INT, description="村（社区）ID"),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["migrant", "pending", "not_migrant"]),
    OpenApiParameter("state", OpenApiTypes.STR, enum=["open", "closed", "all"], description="默认 open"),
    OpenApiParameter("stale", OpenApiTypes.BOOL, description="仅超过6个月未核实的档案"),
]


def _int(value):
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    # Database keys are 64-bit: a larger number cannot name anything.
    return number if number is None or 0 < number < 2**63 else -1


@extend_schema_view(
    get=extend_schema(
        summary="儿童档案列表（按权限范围）",
        description="只返回调用者辖区内的档案；证件号码和电话一律脱敏。领导和审计员无权调用（403）。",
        parameters=LIST_PARAMETERS,
        tags=["registry"],
    )
)
class ChildListView(generics.ListAPIView):
    serializer_class = ChildListSerializer
    pagination_class = ChildPagination
    permission_classes = [HasCapability("registry.view")]

    def get_queryset(self):
        p = self.request.query_params
        state = p.get("state") if p.get("state") in ("open", "closed", "all") else "open"
        status = p.get("status") if p.get("status") in ("migrant", "pending", "not_migrant") else ""
        return selectors.child_list(
            self.request.user,
            q=p.get("q", ""),
            township_id=_int(p.get("township")),
            village_id=_int(p.get("village")),
            status=status,
            state=state,
            stale=p.get("stale") in ("1", "true", "True"),
        )


@extend_schema_view(
    get=extend_schema(
        summary="一份儿童档案（一人一档）",
        description="辖区外的档案返回 404。每次读取都记入审计日志。",
        tags=["registry"],
    )
)
class ChildDetailView(generics.RetrieveAPIView):
    serializer_class = ChildDetailSerializer
    permission_classes = [HasCapability("registry.view")]

    def get_object(self):
        child = selectors.child_file(self.request.user, self.kwargs["pk"])
        record(
            actor=self.request.user, action="read", obj=child, summary=f"通过接口查看儿童档案 {child.file_no}"
        )
        return child
