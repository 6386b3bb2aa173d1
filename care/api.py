"""JSON API of key attention: the public help request, and the workers' work list and visit
recording for the mini-program (scoped like the pages)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from access.api import HasCapability
from access.policy import get_child_or_404
from care import ratelimit, selectors, services
from care.forms import HelpRequestForm
from care.models import CareStatus, VisitKind, VisitOutcome
from care.public_views import RATE_LIMITED
from care.services import CareError


class PublicThrottle(AnonRateThrottle):
    scope = "public"


class HelpRequestIn(serializers.Serializer):
    who = serializers.ChoiceField(
        choices=["child", "family", "other"], help_text="child 儿童本人 / family 家长 / other 其他"
    )
    township = serializers.CharField(help_text="乡镇（街道）代码，如 429006107")
    description = serializers.CharField(max_length=2000)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=30)


class HelpRequestOut(serializers.Serializer):
    reference = serializers.CharField()


class HelpRequestView(APIView):
    """POST a help request (no login). Answers only the reference number."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [PublicThrottle]

    @extend_schema(request=HelpRequestIn, responses={201: HelpRequestOut})
    def post(self, request):
        if not ratelimit.hit("help_request", ratelimit.client_ip(request)):
            return Response({"detail": RATE_LIMITED}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        data = request.data if hasattr(request.data, "get") else {}
        township_code = str(data.get("township", "") or "")
        from places.models import Unit

        township = Unit.objects.filter(level=Unit.Level.TOWNSHIP, code=township_code).first()
        form = HelpRequestForm(
            {
                "who": data.get("who", ""),
                "township": township.pk if township else "",
                "description": data.get("description", ""),
                "contact_name": data.get("contact_name", ""),
                "contact_phone": data.get("contact_phone", ""),
            }
        )
        if not form.is_valid():
            errors = {k: [str(e) for e in v] for k, v in form.errors.items()}
            if "township" in errors:
                errors["township"] = ["请填写正确的乡镇（街道）代码"]
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        clean = form.cleaned_data
        try:
            created = services.help_request_submit(
                who=clean["who"],
                township=clean["township"],
                description=clean["description"],
                contact_phone=clean["contact_phone"],
                contact_name=clean["contact_name"],
                channel="api",
            )
        except CareError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"reference": created.reference}, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- workers' API (scoped)


class WorklistRow(serializers.Serializer):
    child_id = serializers.IntegerField()
    file_no = serializers.CharField(source="child.file_no")
    name = serializers.CharField(source="child.name")
    village = serializers.CharField(source="child.village.name", default="")
    key_attention = serializers.BooleanField()
    last_home_visit_on = serializers.DateField(allow_null=True)
    last_contact_on = serializers.DateField(allow_null=True)
    next_visit_due = serializers.DateField(allow_null=True)
    next_contact_due = serializers.DateField(allow_null=True)


class WorklistView(generics.ListAPIView):
    """GET /api/v1/care/worklist?list=overdue|week|never|contacts — the user's work list, most urgent first."""

    permission_classes = [HasCapability("care.view")]
    serializer_class = WorklistRow

    @extend_schema(
        parameters=[
            OpenApiParameter("list", str, enum=list(selectors.WORKLISTS), description="清单，默认 overdue")
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        which = self.request.query_params.get("list", "overdue")
        if which not in selectors.WORKLISTS:
            raise ValidationError({"list": [f"清单应为 {'、'.join(selectors.WORKLISTS)} 之一"]})
        return selectors.worklist(self.request.user, which=which, on=timezone.localdate())


class VisitIn(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=VisitKind.values, error_messages={"invalid_choice": "走访联系方式无效"}
    )
    visited_on = serializers.DateField(error_messages={"invalid": "日期格式应为 YYYY-MM-DD"})
    outcome = serializers.ChoiceField(
        choices=VisitOutcome.values,
        help_text="reached：已见到儿童或家人（已联系上）；not_reached：未见到（未联系上，不计入频次）",
        error_messages={
            "invalid_choice": "结果应为 reached（已见到）或 not_reached（未见到）",
            "required": "请填写结果 outcome：reached（已见到）或 not_reached（未见到）",
        },
    )
    participants = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    checklist = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, default=dict
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class VisitOut(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    next_visit_due = serializers.DateField(allow_null=True)
    next_contact_due = serializers.DateField(allow_null=True)
    counts_toward_cadence = serializers.BooleanField(
        help_text="是否计入走访联系频次（已见到，并有检查情况或情况记录）"
    )


class VisitCreateView(APIView):
    """POST /api/v1/care/children/<id>/visits — record a visit or contact (same rules as the form)."""

    permission_classes = [HasCapability("care.edit")]

    @extend_schema(request=VisitIn, responses={201: VisitOut})
    def post(self, request, pk):
        child = get_child_or_404(request.user, pk)
        incoming = VisitIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            visit = services.visit_create(actor=request.user, child=child, **data)
        except CareError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        care = CareStatus.objects.get(child=child)
        return Response(
            {
                "id": visit.pk,
                "version": visit.version,
                "next_visit_due": care.next_visit_due,
                "next_contact_due": care.next_contact_due,
                "counts_toward_cadence": services.visit_counts(visit),
            },
            status=status.HTTP_201_CREATED,
        )
