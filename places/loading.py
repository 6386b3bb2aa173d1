"""Loading the reference tables: GB/T 2260 counties (from python-stdnum's offline
table, historical codes included) and the home city's township-level units."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources

from places.townships import HOME_COUNTY, TOWNSHIPS

_ERA = re.compile(r"^\[(\d*)-(\d*)\]")
_LINE = re.compile(r'^(\s*)(\d+) (\w+)="(.*)"')


def iter_counties() -> Iterator[dict]:
    """Yield every county-level code of stdnum's cn/loc table with its names.

    The table lists a province line (``42 province="湖北省"``) followed by
    indented 4-digit suffixes (``  9006 county="[1994-]天门市"``); a name may
    carry its era and several names are comma-separated, the newest last.
    """
    text = (resources.files("stdnum") / "cn" / "loc.dat").read_text(encoding="utf-8")
    province_code = province_name = ""
    prefectures: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        indent, number, key, value = match.groups()
        if not indent:
            province_code, province_name = number, value
            continue
        code = province_code + number
        if code.endswith("00"):
            prefectures[code[:4]] = _ERA.sub("", value.split(",")[-1])
            continue
        names = value.split(",")
        yield {
            "code": code,
            "name": ",".join(_ERA.sub("", n) for n in names),
            "province_code": province_code,
            "province_name": province_name,
            "prefecture_name": prefectures.get(code[:4], ""),
            # current when the newest name has no end year: "[1994-]天门市" or "东城区"
            "current": not re.match(r"^\[\d*-\d+\]", names[-1]),
        }


def load_counties(county_model) -> int:
    rows = [county_model(**row) for row in iter_counties()]
    county_model.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def load_home_units(unit_model) -> None:
    code, name, former = HOME_COUNTY
    city, _ = unit_model.objects.get_or_create(
        code=code, defaults={"name": name, "level": "city", "kind": "city", "former_names": former}
    )
    for suffix, township, kind, former_names in TOWNSHIPS:
        unit_model.objects.get_or_create(
            code=code + suffix,
            defaults={
                "name": township,
                "level": "township",
                "kind": kind,
                "parent": city,
                "former_names": former_names,
            },
        )
