"""The department feeds' part of a child's file: what each feed changed (with its batch),
health management records, and findings awaiting verification."""

from __future__ import annotations


def sections(user, child) -> list:
    from exchange.selectors import child_feed_file
    from registry.sections import Section

    data = child_feed_file(user, child)
    # Read only as many rows as the section shows (the feeds page has them all).
    effects, health, tasks = list(data["effects"][:10]), list(data["health"][:3]), list(data["tasks"][:5])
    if not (effects or health or tasks):
        return []
    return [
        Section(
            title="部门数据",
            template="exchange/_file_section.html",
            context={"effects": effects, "health": health, "tasks": tasks, "child": child},
            order=60,
        )
    ]
