"""Public help requests (主动求助): no account, phone-friendly, rate-limited per address
through the database, CSRF-protected, nothing personal echoed back."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from access.decorators import public
from care import ratelimit, services
from care.forms import HelpRequestForm
from care.services import CareError

RATE_LIMITED = "提交过于频繁，请一小时后再试。如遇紧急情况，请拨打 110 报警或 12355 青少年服务热线。"
SESSION_KEY = "care_help_reference"


@public
@never_cache
@csrf_protect
def help_request(request):
    form = HelpRequestForm(request.POST or None)
    refused = False
    if request.method == "POST":
        if not ratelimit.hit("help_request", ratelimit.client_ip(request)):
            refused = True
            form = HelpRequestForm(request.POST)
            form.is_valid()
            form.add_error(None, RATE_LIMITED)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                created = services.help_request_submit(
                    who=data["who"],
                    township=data["township"],
                    description=data["description"],
                    contact_phone=data["contact_phone"],
                    contact_name=data["contact_name"],
                )
            except CareError as exc:
                form.add_error(None, str(exc))
            else:
                request.session[SESSION_KEY] = created.reference
                return redirect("care:help_request_done")
    response = render(request, "care/help_request.html", {"form": form})
    if refused:
        response.status_code = 429
    return response


@public
@never_cache
def help_request_done(request):
    """Only the reference number is shown; nothing the family typed is echoed back."""
    reference = request.session.pop(SESSION_KEY, "")
    return render(request, "care/help_request_done.html", {"reference": reference})
