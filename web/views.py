from django.http import JsonResponse
from django.shortcuts import render

from access.decorators import public, require
from access.policy import scope_of
from web.cards import home_cards


@require("home")
def home(request):
    return render(
        request, "web/home.html", {"cards": home_cards(request.user), "scope": scope_of(request.user)}
    )


@public
def health(request):
    """Liveness probe, and the benchmarks' floor: a fixed small JSON, no database."""
    return JsonResponse({"status": "ok"})
