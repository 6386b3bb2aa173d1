"""Villages and communities of the demo city: plausible names, codes under their township."""

from __future__ import annotations

import random

from places.models import Unit

VILLAGE_STEMS = (
    "新堤 杨湾 刘岭 黄台 陈垸 李场 周庙 王桥 张湾 胡岭 万家 汪洲 徐岭 石桥 柳河 马岭 唐垸 何湾 白湖 青山 "
    "福田 长乐 永兴 丰收 团结 红星 向阳 东风 新华 光明 和平 先锋 联合 幸福 太平 荷花 鲁店 范湾 熊岭 彭岭"
).split()
COMMUNITY_STEMS = (
    "钟惠 陆羽 东湖 西湖 建设 解放 人民 新城 天鹅 文学泉 龙华 竟陵 府河 汉江 兴隆 城南 城北 鸿渐".split()
)
URBAN = {"street"}


def seed_villages(rng: random.Random) -> list[Unit]:
    created: list[Unit] = []
    for township in Unit.objects.filter(level=Unit.Level.TOWNSHIP).order_by("code"):
        if township.children.exists():
            continue
        urban = township.kind in URBAN
        count = rng.randint(10, 16) if urban else rng.randint(8, 14)
        pool = COMMUNITY_STEMS if urban else VILLAGE_STEMS
        for i, stem in enumerate(rng.sample(pool, k=min(count, len(pool))), start=1):
            is_community = urban or i <= 2  # the town seat has a community or two
            name = f"{stem}社区" if is_community else f"{stem}村"
            created.append(
                Unit(
                    code=f"{township.code}{i:03d}",
                    name=name,
                    level=Unit.Level.VILLAGE,
                    kind=Unit.Kind.COMMUNITY if is_community else Unit.Kind.VILLAGE,
                    parent=township,
                )
            )
    Unit.objects.bulk_create(created)
    return created
