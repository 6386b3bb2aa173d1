"""Where a newly found child lives: a Tianmen township and village from the row's columns
or its address text (current names, former names and common spellings)."""

from __future__ import annotations

import unicodedata

_SUFFIXES = (
    "街道办事处",
    "街道",
    "镇",
    "乡",
    "农场",
    "管委会",
    "社区居委会",
    "居委会",
    "村委会",
    "社区",
    "村",
)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").strip()


class PlaceResolver:
    def __init__(self) -> None:
        from places.models import Unit

        self.townships: list[tuple[str, int]] = []  # (spelling, pk), longest first
        self.villages: dict[int, list[tuple[str, int]]] = {}
        for pk, name, former, level, parent in Unit.objects.filter(
            level__in=[Unit.Level.TOWNSHIP, Unit.Level.VILLAGE], active=True
        ).values_list("pk", "name", "former_names", "level", "parent_id"):
            spellings = {_norm(name), *(_norm(f) for f in former or [])} - {""}
            if level == Unit.Level.TOWNSHIP:
                self.townships += [(s, pk) for s in spellings]
            else:
                self.villages.setdefault(parent, []).extend((s, pk) for s in spellings)
        self.townships.sort(key=lambda t: -len(t[0]))
        for entries in self.villages.values():
            entries.sort(key=lambda t: -len(t[0]))
        self._township_ids = {pk for _s, pk in self.townships}

    def _find_township(self, text: str) -> int | None:
        for spelling, pk in self.townships:
            if spelling and spelling in text:
                return pk
        return None

    def _find_village(self, township: int, text: str) -> int | None:
        for spelling, pk in self.villages.get(township, []):
            if spelling and spelling in text:
                return pk
            short = spelling
            for suffix in _SUFFIXES:
                if short.endswith(suffix) and len(short) - len(suffix) >= 2:
                    short = short[: -len(suffix)]
                    break
            if short != spelling and short in text and len(short) >= 2:
                return pk
        return None

    def resolve(
        self, *, township: str = "", village: str = "", address: str = ""
    ) -> tuple[int | None, int | None]:
        """(township id, village id); either may be None."""
        township, village, address = _norm(township), _norm(village), _norm(address)
        t = self._find_township(township) if township else None
        if t is None:
            t = self._find_township(address)
        if t is None and village:
            t = self._find_township(village)
        if t is None:
            return None, None
        v = None
        if village:
            v = self._find_village(t, village)
        if v is None and address:
            v = self._find_village(t, address)
        return t, v
