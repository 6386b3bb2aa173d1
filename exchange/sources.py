"""The five department feeds as data (fixtures/sources.json) and their field specifications."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from common.tabular import FieldSpec

FIXTURE = Path(__file__).with_name("fixtures") / "sources.json"
SOURCE_CODES = ("education", "police", "health", "insurance", "disability")


def fixture() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def source_fields(code: str) -> list[dict]:
    """The common identity fields followed by the source's own ones."""
    data = fixture()
    for source in data["sources"]:
        if source["code"] == code:
            return data["common_fields"] + source["fields"]
    return list(data["common_fields"])


def load_sources(*, FeedSource, Department) -> None:  # noqa: N803 - historical models from a migration
    data = fixture()
    effective = dt.date.fromisoformat(data["effective_from"])
    for source in data["sources"]:
        FeedSource.objects.update_or_create(
            code=source["code"],
            defaults={
                "name": source["name"],
                "department": Department.objects.get(code=source["department"]),
                "fields": data["common_fields"] + source["fields"],
                "effect": source["effect"],
                "registers_new": source["registers_new"],
                "effective_from": effective,
                "active": True,
            },
        )


def field_specs(fields: list[dict]) -> list[FieldSpec]:
    return [
        FieldSpec(
            name=f["name"],
            label=f["label"],
            synonyms=tuple(f.get("synonyms", ())),
            required=bool(f.get("required")),
        )
        for f in fields
    ]
