from django.contrib.auth import authenticate
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.services import is_locked_out, login_failed, login_succeeded, needs_second_factor
from audit.middleware import client_ip


class LoginThrottle(AnonRateThrottle):
    scope = "login"


class TokenRequest(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256)
    otp = serializers.CharField(max_length=8, required=False, help_text="市级管理员和审计员必填：动态验证码")


class TokenView(APIView):
    """Exchange username and password (and a TOTP code where the role needs one) for a token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(
        request=TokenRequest,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request):
        data = TokenRequest(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        if is_locked_out(username):
            return Response({"detail": "登录失败次数过多，账号已临时锁定"}, status=status.HTTP_403_FORBIDDEN)
        user = authenticate(request, username=username, password=data.validated_data["password"])
        if user is None or not user.is_active:
            login_failed(username=username, ip=client_ip(request))
            return Response({"detail": "用户名或密码错误"}, status=status.HTTP_400_BAD_REQUEST)
        if needs_second_factor(user):
            code = data.validated_data.get("otp", "")
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None or not code or not device.verify_token(code):
                login_failed(username=username, ip=client_ip(request))
                return Response({"otp": ["该角色需要有效的动态验证码"]}, status=status.HTTP_400_BAD_REQUEST)
        login_succeeded(user=user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
