"""A small rate limiter counted in the database, so that every worker process shares the count.

Limits come from ``settings.PUBLIC_RATE_LIMIT[bucket] = (attempts, seconds)``. The client's
address is stored only as a keyed hash (HMAC with the secret key), and old hits are deleted
as new ones arrive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from care.models import RateLimitHit


def client_key(ip: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), (ip or "").encode(), hashlib.sha256).hexdigest()


def client_ip(request) -> str:
    """The client's address as the audit log sees it (X-Real-IP from the documented reverse proxy)."""
    from audit.middleware import client_ip as audited_ip

    return audited_ip(request) or ""


@transaction.atomic
def hit(bucket: str, ip: str, *, now: dt.datetime | None = None) -> bool:
    """Count one attempt; True if it is within the limit, False if it must be refused."""
    limit, seconds = settings.PUBLIC_RATE_LIMIT[bucket]
    now = now or timezone.now()
    since = now - dt.timedelta(seconds=seconds)
    key = client_key(ip)
    RateLimitHit.objects.filter(bucket=bucket, at__lt=since).delete()
    recent = RateLimitHit.objects.filter(bucket=bucket, key=key, at__gte=since).count()
    if recent >= limit:
        return False
    RateLimitHit.objects.create(bucket=bucket, key=key, at=now)
    return True
