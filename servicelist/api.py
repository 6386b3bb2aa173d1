"""The service list API: the public entitlement check (a contract), and scoped endpoints for staff."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from access.api import HasCapability
from access.policy import get_child_or_404
from audit.services import record
from servicelist import rules, selectors, services
from servicelist.models import Referral, Service, ServiceDepartment, ServiceGroup, ServiceListVersion

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FLAGS = ("housing_difficulty", "emergency_hardship", "legal_aid_need")
FLAG_LABELS = {
    "housing_difficulty": "家庭住房困难",
    "emergency_hardship": "遭遇突发性、紧迫性、灾难性困难",
    "legal_aid_need": "需要法律援助或司法救助",
}


class CheckInputError(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def _date(value: Any, label: str) -> dt.date:
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        raise ValueError(f"{label}应为 YYYY-MM-DD 格式的日期，例如 2015-03-04")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{label}“{value.strip()}”不是实际存在的日期，请检查年月日") from None


def _choice(value: Any, label: str, allowed: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value.strip() not in allowed:
        raise ValueError(f"{label}应为以下之一：{'、'.join(allowed)}")
    return value.strip()


def parse_check_input(data: Any, *, today: dt.date) -> dict[str, Any]:
    """The self-check's input (API JSON or the public form's cleaned data) as facts_from_profile kwargs.

    Raises CheckInputError with one Chinese message per bad field.
    """
    if not isinstance(data, dict):
        raise CheckInputError({"detail": '请求内容应为 JSON 对象，例如 {"birth_date": "2015-03-04"}'})
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    birth = data.get("birth_date")
    if birth is None or birth == "":
        errors["birth_date"] = "请填写出生日期（YYYY-MM-DD）"
    else:
        try:
            out["birth_date"] = _date(birth, "出生日期")
        except ValueError as error:
            errors["birth_date"] = str(error)
    on = data.get("on_date")
    if on is None or on == "":
        out["on_date"] = today
    else:
        try:
            out["on_date"] = _date(on, "查询日期")
        except ValueError as error:
            errors["on_date"] = str(error)
    for key, label, allowed in (
        ("school_stage", "就学状态", rules.SCHOOL_STAGES),
        ("health", "健康状况", rules.HEALTH_STATES),
    ):
        try:
            out[key] = _choice(data.get(key), label, allowed)
        except ValueError as error:
            errors[key] = str(error)
    try:
        out["disability_category"] = _choice(
            data.get("disability_category"), "残疾类别", rules.DISABILITY_CATEGORIES
        )
    except ValueError as error:
        errors["disability_category"] = str(error)
    security = data.get("security")
    allowed_security = (*rules.SECURITY_CATEGORIES, rules.SECURITY_NONE)
    if security is None:
        out["security"] = []
    elif not isinstance(security, list) or not all(
        isinstance(item, str) and item in allowed_security for item in security
    ):
        errors["security"] = f"保障类别应为列表，每项为以下之一：{'、'.join(allowed_security)}"
    else:
        out["security"] = security
    for key in FLAGS:
        value = data.get(key, False)
        if value is None:
            value = False
        if not isinstance(value, bool):
            errors[key] = f"“{FLAG_LABELS[key]}”应为 true 或 false"
        else:
            out[key] = value
    if "birth_date" in out and "on_date" in out and out["birth_date"] > out["on_date"]:
        errors["birth_date"] = "出生日期不能晚于查询日期"
    if errors:
        raise CheckInputError(errors)
    return out


def check_entitlements(profile: dict[str, Any]) -> tuple[Any, list[Any], dict[str, Any]]:
    """(version in force, entitled Service objects in list order, facts). Raises CheckInputError."""
    on = profile["on_date"]
    version = selectors.list_in_force(on)
    if version is None:
        raise CheckInputError({"on_date": f"{on:%Y-%m-%d} 没有生效的服务清单，请换一个查询日期"})
    try:
        facts = rules.facts_from_profile(**profile)
    except rules.ProfileError as error:
        raise CheckInputError(dict(error.errors)) from None
    entitled = [s for s in services_with_checked_rules(version) if rules.holds(s.rule, facts)]
    return version, entitled, facts


# The public check runs for every visitor: the services of a list version (with their groups,
# departments and validated rules) are kept per process. Only drafts are edited (services
# refuse changes to a published version), and any save in this process clears the cache; the
# age limit bounds how long another worker process shows a renamed department.
SERVICES_CACHE_SECONDS = 60
_services_cache: dict[tuple, tuple[float, list[Service]]] = {}
_services_lock = threading.Lock()


def services_with_checked_rules(version: ServiceListVersion) -> list[Service]:
    """The version's services in list order, each rule validated (``rules.check_rule``)."""
    now = time.monotonic()
    key = (version.pk, version.code, version.effective_from)
    hit = _services_cache.get(key)
    if (
        hit is not None
        and now - hit[0] < SERVICES_CACHE_SECONDS
        and version.status == version.Status.PUBLISHED
    ):
        return hit[1]
    services_in_force = list(selectors.services_of(version))
    for service in services_in_force:
        rules.check_rule(service.rule)
    if version.status == version.Status.PUBLISHED:
        with _services_lock:
            _services_cache[key] = (now, services_in_force)
    return services_in_force


def clear_services_cache(**_kwargs) -> None:
    with _services_lock:
        _services_cache.clear()


for _model in (ServiceListVersion, ServiceGroup, Service, ServiceDepartment, "network.Department"):
    post_save.connect(clear_services_cache, sender=_model, dispatch_uid=f"servicelist-check-cache-{_model}")
    post_delete.connect(
        clear_services_cache, sender=_model, dispatch_uid=f"servicelist-check-cache-d-{_model}"
    )


# Schema documentation only: the input is validated by parse_check_input, which gives the
# contract's exact Chinese messages per field.
_CHECK_REQUEST = inline_serializer(
    "PublicEntitlementCheckRequest",
    {
        "birth_date": serializers.DateField(help_text="出生日期 YYYY-MM-DD（必填）"),
        "school_stage": serializers.ChoiceField(choices=rules.SCHOOL_STAGES, required=False, allow_null=True),
        "health": serializers.ChoiceField(choices=rules.HEALTH_STATES, required=False, allow_null=True),
        "security": serializers.ListField(
            child=serializers.ChoiceField(choices=(*rules.SECURITY_CATEGORIES, rules.SECURITY_NONE)),
            required=False,
        ),
        "housing_difficulty": serializers.BooleanField(required=False, default=False),
        "emergency_hardship": serializers.BooleanField(required=False, default=False),
        "legal_aid_need": serializers.BooleanField(required=False, default=False),
        "disability_category": serializers.ChoiceField(
            choices=rules.DISABILITY_CATEGORIES, required=False, allow_null=True
        ),
        "on_date": serializers.DateField(required=False, help_text="查询日期，默认今天"),
    },
)
_CHECK_RESPONSE = inline_serializer(
    "PublicEntitlementCheckResponse",
    {
        "list_version": serializers.CharField(),
        "services": inline_serializer(
            "PublicEntitlementCheckService",
            {
                "no": serializers.IntegerField(),
                "name": serializers.CharField(),
                "departments": serializers.ListField(child=serializers.CharField()),
            },
            many=True,
        ),
    },
)


class PublicCheckView(APIView):
    """POST /api/v1/public/entitlements/check — anonymous, rate-limited, nothing stored."""

    authentication_classes: list = []  # anonymous: no session, hence no CSRF
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"
    parser_classes = [JSONParser]

    @extend_schema(
        request=_CHECK_REQUEST,
        responses={200: _CHECK_RESPONSE, 400: OpenApiTypes.OBJECT, 429: OpenApiTypes.OBJECT},
        summary="匿名自查：孩子可以享受的服务",
    )
    def post(self, request):
        try:
            data = request.data
        except APIException:
            return Response(
                {"detail": "请求内容应为 JSON 对象（Content-Type: application/json）"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            profile = parse_check_input(data, today=timezone.localdate())
            version, entitled, _facts = check_entitlements(profile)
        except CheckInputError as error:
            return Response(error.errors, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {
                "list_version": version.code,
                "services": [
                    {"no": s.no, "name": s.name, "departments": [d.name for d in s.department_list()]}
                    for s in entitled
                ],
            }
        )


# ---------------------------------------------------------------- staff


def _entitlement_json(e) -> dict:
    return {
        "no": e.no,
        "service": e.service.name,
        "status": e.status,
        "status_label": e.get_status_display(),
        "reason": e.reason,
        "list_version": e.version.code,
        "updated_at": e.updated_at,
    }


def _referral_json(r: Referral) -> dict:
    return {
        "id": r.pk,
        "service_no": r.service.no if r.service else None,
        "department": r.department.name,
        "reason": r.reason,
        "deadline": r.deadline,
        "status": r.status,
        "overdue": r.is_overdue(),
        "consent": r.consent,
        "consent_overridden": bool(r.consent_override_reason),
        "rejection_reason": r.rejection_reason,
        "feedback": r.feedback,
        "sent_at": r.sent_at,
    }


class ChildEntitlementsView(APIView):
    permission_classes = [HasCapability("services.view")]

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="一名儿童的服务享有与转介")
    def get(self, request, pk):
        child = get_child_or_404(request.user, pk)
        record(
            actor=request.user, action="read", obj=child, summary=f"接口查看档案 {child.file_no} 的服务享有"
        )
        return Response(
            {
                "file_no": child.file_no,
                "entitlements": [
                    _entitlement_json(e) for e in selectors.entitlements_of(user=request.user, child=child)
                ],
                "referrals": [
                    _referral_json(r) for r in selectors.referrals_of(user=request.user, child=child)
                ],
            }
        )


def _inbox_json(row: selectors.InboxRow) -> dict:
    return {
        "id": row.pk,
        "name": row.name,
        "sex": row.sex,
        "age": row.age,
        "township": row.township,
        "service": row.service,
        "reason": row.reason,
        "deadline": row.deadline,
        "status": row.status,
        "overdue": row.overdue,
        "guardian_phone": row.guardian_phone,
        "rejection_reason": row.rejection_reason,
        "feedback": row.feedback,
    }


class InboxView(APIView):
    permission_classes = [HasCapability("services.inbox")]

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="部门转介收件箱（最少必要信息）")
    def get(self, request):
        qs = selectors.inbox(request.user)
        wanted = request.query_params.get("status")
        if wanted in Referral.Status.values:
            qs = qs.filter(status=wanted)
        today = timezone.localdate()
        rows = [_inbox_json(selectors.inbox_row(r, today)) for r in qs.order_by("deadline", "pk")[:500]]
        return Response({"count": len(rows), "results": rows})


class InboxActionView(APIView):
    permission_classes = [HasCapability("services.inbox")]
    parser_classes = [JSONParser]

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        summary="接收 / 退回（reason）/ 办结（feedback）转介",
    )
    def post(self, request, pk, action):
        referral = selectors.inbox_referral_or_404(request.user, pk)
        try:
            data = request.data if isinstance(request.data, dict) else {}
        except APIException:
            data = {}
        text = data.get("reason") or data.get("feedback") or ""
        if not isinstance(text, str):
            return Response({"detail": "理由或反馈应为文字"}, status=status.HTTP_400_BAD_REQUEST)
        try:
            if action == "accept":
                referral = services.referral_accept(actor=request.user, referral=referral)
            elif action == "reject":
                referral = services.referral_reject(actor=request.user, referral=referral, reason=text)
            else:
                referral = services.referral_complete(actor=request.user, referral=referral, feedback=text)
        except ValidationError as error:
            return Response(
                {k: "；".join(v) for k, v in error.message_dict.items()}, status=status.HTTP_400_BAD_REQUEST
            )
        referral = selectors.inbox_referral_or_404(request.user, referral.pk)
        return Response(_inbox_json(selectors.inbox_row(referral)))
