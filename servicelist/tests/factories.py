"""Helpers of the service list tests."""

from __future__ import annotations

import datetime as dt

from common.testing import make_child
from network.models import Department
from servicelist import services
from servicelist.selectors import list_in_force


def department(code: str) -> Department:
    return Department.objects.get(code=code)


def service(no: int):
    return list_in_force().services.get(no=no)


def child_with_entitlements(village, **fields):
    child = make_child(village=village, **fields)
    services.entitlements_recompute(child=child)
    return child


def send(actor, child, *, no: int = 3, code: str = "education", days: int = 10, **kwargs):
    kwargs.setdefault("consent", True)
    if kwargs["consent"]:
        kwargs.setdefault("consent_by", "父亲")
        kwargs.setdefault("consent_on", dt.date.today())
    return services.referral_send(
        actor=actor,
        child=child,
        service=service(no),
        department=department(code),
        reason="适龄儿童需协调入学",
        deadline=dt.date.today() + dt.timedelta(days=days),
        **kwargs,
    )
