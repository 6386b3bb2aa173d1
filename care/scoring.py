"""Scoring of the assessment forms (the forms are data: items with option scores, bands)."""

from __future__ import annotations

from dataclasses import dataclass


class ScoringError(ValueError):
    """Answers that do not fit the form; the message is Chinese and names the item."""


@dataclass(frozen=True)
class Result:
    score: int
    level: str
    raises: tuple[str, ...]


def score(items: list[dict], bands: list[dict], answers: dict[str, int]) -> Result:
    """``answers`` maps item code -> index of the chosen option."""
    total = 0
    for item in items:
        chosen = answers.get(item["code"])
        if chosen is None:
            raise ScoringError(f"请回答：{item['text']}")
        try:
            option = item["options"][int(chosen)]
        except (IndexError, ValueError, TypeError):
            raise ScoringError(f"“{item['text']}”的选项无效") from None
        total += int(option["score"])
    for band in bands:
        if band["min"] <= total <= band["max"]:
            return Result(total, band["level"], tuple(band.get("raises", ())))
    raise ScoringError(f"得分 {total} 不在评估表的任何分级内，请联系管理员检查评估表")
