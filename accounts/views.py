from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.decorators import public
from accounts.forms import LoginForm, OTPForm
from accounts.services import is_locked_out, login_failed, login_succeeded, needs_second_factor
from audit.middleware import client_ip
from audit.services import record


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@public
@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request, data=request.POST or None)
    locked = False
    if request.method == "POST":
        username = (request.POST.get("username") or "").strip()
        if username and is_locked_out(username):
            locked = True
            form.add_error(None, "登录失败次数过多，账号已临时锁定，请15分钟后再试或联系管理员")
        elif form.is_valid():
            user = form.user
            login(request, user)
            login_succeeded(user=user)
            if needs_second_factor(user):
                return redirect(f"/accounts/otp/?next={_next_url(request)}")
            return redirect(_next_url(request))
        elif username:
            if login_failed(username=username, ip=client_ip(request)):
                locked = True
    return render(
        request, "accounts/login.html", {"form": form, "locked": locked, "next": _next_url(request)}
    )


@public
@require_http_methods(["POST"])
def logout_view(request):
    if request.user.is_authenticated:
        record(actor=request.user, action="logout", obj=request.user, summary="退出登录")
    logout(request)
    return redirect("accounts:login")


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@public
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """Confirm a TOTP code; a user without a confirmed device first enrols one."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(
            user=request.user, confirmed=False
        ).first() or TOTPDevice.objects.create(user=request.user, name="手机令牌", confirmed=False)
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                record(actor=request.user, action="update", obj=request.user, summary="绑定动态验证码令牌")
            otp_login(request, device)
            messages.success(request, "验证通过")
            return redirect(_next_url(request))
        record(actor=request.user, action="login_failed", obj=request.user, summary="动态验证码错误")
        form.add_error("code", "验证码错误或已过期，请重新输入手机上显示的6位数字")
    context = {"form": form, "enrolling": enrolling, "next": _next_url(request)}
    if enrolling:
        context["qr"] = _qr_svg(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/otp.html", context)
