"""Roles that need a second factor may use nothing but the OTP pages until verified."""

from django.shortcuts import redirect
from django.urls import reverse

from accounts.services import needs_second_factor


class SecondFactorRequiredMiddleware:
    allowed_prefixes = ("/accounts/", "/static/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.allowed_prefixes)
            and not user.is_verified()
            and not getattr(request, "_token_auth", False)
            and needs_second_factor(user)
        ):
            return redirect(reverse("accounts:otp_verify") + f"?next={request.path}")
        return self.get_response(request)
