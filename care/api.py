"""JSON API of key attention: the public help request for the mini-program."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from care import ratelimit, services
from care.forms import HelpRequestForm
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
