"""Demo data: an education list and a health push from the departments, run through the real
import pipeline, so that the reconciliation reports, the review queue and the effects on
children's files have something to show. Small and bounded whatever the city's size."""

from __future__ import annotations

import tempfile
from pathlib import Path

ORDER = 60
DEMO_FEEDS = (("education", 40, 8), ("health", 30, 0))  # (source, rows, of which new children)


def seed(ctx) -> None:
    from exchange.models import FeedBatch, FeedSource
    from exchange.services import feed_import, system_user
    from exchange.testing import write_feed
    from places.models import Unit
    from registry.models import Child

    if FeedBatch.objects.exists():
        ctx.say("  exchange: 已有部门数据批次，跳过")
        return
    actor = ctx.personas.get("admin") or system_user()
    yuekou = Unit.objects.filter(code="429006107").first()
    if yuekou is None:
        return
    children = list(
        Child.objects.filter(township=yuekou, closed_at__isnull=True)
        .select_related("household")
        .order_by("pk")[:200]
    )
    if not children:
        return
    rng = ctx.child_rng("exchange")
    with tempfile.TemporaryDirectory() as folder:
        for index, (code, rows, new) in enumerate(DEMO_FEEDS):
            source = FeedSource.objects.get(code=code)
            sample = rng.sample(children, min(rows - new, len(children)))
            path = Path(folder) / f"{code}.xlsx"
            write_feed(path, code, sample, rows=len(sample) + new, seed=ctx.seed * 100 + index, noise=0.35)
            batch = feed_import(
                actor=actor, source=source, file=path, file_name=f"{source.name}（演示）.xlsx"
            )
            ctx.say(
                f"  exchange: {source.name} {batch.total_rows} 行：关联 {batch.linked}，待确认 {batch.review}，"
                f"新发现 {batch.new}"
            )
