"""Pages of the network: workstations, the roster of supervisors and directors, training."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone

from access.decorators import require
from access.policy import has_capability
from network import selectors, services
from network.forms import TrainingForm
from network.models import Workstation
from places.models import Unit


@require("network.view")
def index(request):
    workstations = Workstation.objects.select_related("unit").order_by("kind", "unit__code")
    staff = {}
    for row in selectors.coverage(request.user)["rows"]:
        if row["township"] is not None:
            staff[row["township"].pk] = row
    rows = [{"workstation": w, "staff": staff.get(w.unit_id)} for w in workstations]
    return render(request, "network/index.html", {"rows": rows})


@require("network.view")
def roster(request):
    assignments = selectors.roster(request.user).select_related("user", "unit", "unit__parent")
    township = request.GET.get("township")
    if township and township.isdigit():
        assignments = assignments.filter(Q(unit_id=int(township)) | Q(unit__parent_id=int(township)))
    state = request.GET.get("trained")
    if state == "no":
        assignments = assignments.filter(user__trainings__isnull=True)
    page = Paginator(assignments.order_by("unit__code", "role"), 100).get_page(request.GET.get("page"))
    summary = selectors.training_summary([a.user_id for a in page.object_list])
    rows = [{"assignment": a, "training": summary.get(a.user_id)} for a in page.object_list]
    townships = Unit.objects.filter(
        pk__in=selectors.roster(request.user).filter(unit__level="township").values("unit_id")
    ) | Unit.objects.filter(pk__in=selectors.roster(request.user).values("unit__parent_id"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "network/roster.html",
        {
            "page": page,
            "rows": rows,
            "townships": townships.filter(level="township").distinct().order_by("code"),
            "township": township,
            "state": state,
            "query": params.urlencode(),
        },
    )


@require("network.view")
def training(request):
    today = timezone.localdate()
    year = request.GET.get("year", "")
    since = None
    if year.isdigit() and 2000 <= int(year) <= today.year:
        since = dt.date(int(year), 1, 1)
    result = selectors.coverage(request.user, since=since)
    recent = (
        selectors.TrainingRecord.objects.filter(user_id__in=selectors.roster(request.user).values("user_id"))
        .values("course", "date")
        .annotate(n=Count("id"))
        .order_by("-date")[:10]
    )
    return render(
        request,
        "network/training.html",
        {
            "result": result,
            "year": year,
            "years": range(today.year, today.year - 5, -1),
            "recent": recent,
            "can_manage": has_capability(request.user, "network.manage"),
        },
    )


@require("network.manage")
def training_new(request):
    form = TrainingForm(request.POST or None, user=request.user, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            records = services.training_record(
                actor=request.user,
                users=data["users"],
                course=data["course"],
                organiser=data["organiser"],
                date=data["date"],
                hours=data["hours"],
                certificate_no=data["certificate_no"],
            )
        except services.NetworkError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"已登记 {len(records)} 人的培训记录")
            return redirect("network:training")
    return render(request, "network/training_form.html", {"form": form})
