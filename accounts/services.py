"""Login bookkeeping: lockout after repeated failures, audited successes and failures."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import LoginFailure
from audit.models import Action
from audit.services import record


def is_locked_out(username: str) -> bool:
    since = timezone.now() - dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    return (
        LoginFailure.objects.filter(username=username.lower(), at__gte=since).count()
        >= settings.LOGIN_FAILURE_LIMIT
    )


@transaction.atomic
def login_failed(*, username: str, ip: str) -> bool:
    """Record a failure; returns True when this failure locks the account."""
    LoginFailure.objects.create(username=username.lower()[:150], ip=ip or None)
    record(
        actor=None,
        action=Action.LOGIN_FAILED,
        object_type="user",
        object_id=username[:64],
        summary="登录失败",
    )
    if is_locked_out(username):
        record(
            actor=None,
            action=Action.LOCKED_OUT,
            object_type="user",
            object_id=username[:64],
            summary=f"连续失败 {settings.LOGIN_FAILURE_LIMIT} 次，锁定 {settings.LOGIN_LOCKOUT_MINUTES} 分钟",
        )
        return True
    return False


@transaction.atomic
def login_succeeded(*, user) -> None:
    LoginFailure.objects.filter(username=user.username.lower()).delete()
    record(actor=user, action=Action.LOGIN, obj=user, summary="登录成功")


def needs_second_factor(user) -> bool:
    from access.policy import scope_of

    if user.username in settings.SECOND_FACTOR_EXEMPT_USERNAMES:
        return False
    return bool(scope_of(user).roles & set(settings.SECOND_FACTOR_ROLES))
