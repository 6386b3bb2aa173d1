"""Writes of the registry. Every function: keyword-only, one transaction, audited."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F

from registry.models import FileNumberCounter


@transaction.atomic
def reserve_file_numbers(count: int) -> list[str]:
    """Reserve ``count`` consecutive file numbers (档案编号), e.g. 429006-0001234."""
    FileNumberCounter.objects.get_or_create(pk=1)
    FileNumberCounter.objects.filter(pk=1).update(last=F("last") + count)
    last = FileNumberCounter.objects.get(pk=1).last
    return [f"{settings.HOME_COUNTY_CODE}-{n:07d}" for n in range(last - count + 1, last + 1)]
