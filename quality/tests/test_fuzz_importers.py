"""Hypothesis against every importer: random bytes, wrong encodings, huge cells and formulas in
cells give the importers' documented Chinese errors (never another exception, never a 500 from
the upload pages); and every export writes dangerous text (=1+1, @SUM(A1), =HYPERLINK…) as inert
text, never as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from common import idnumber
from common.dates import InvalidDate, parse_date
from common.tabular import TableError, open_table
from common.testing import make_child
from ledger.rows import FIELDS, HEADERS

from .test_concurrency import session

CJK = re.compile(r"[\u4e00-\u9fff]")
FORMULAS = ["=1+1", "@SUM(A1)", '=HYPERLINK("http://x","y")', "+1+1", "-1+1", "=cmd|' /C calc'!A0"]
BOUNDED = hsettings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = hsettings(BOUNDED, max_examples=8)

cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(FORMULAS),
    st.text(alphabet="岳口镇多宝张王李一二三四〇０１２３４５６７８９Xx*-/年月日 ", max_size=25),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.just("长" * 40_000),  # a huge cell
    st.none(),
)


def chinese_error(exc: Exception) -> None:
    assert CJK.search(str(exc)), f"not a Chinese message: {exc!r}"


def csv_bytes(rows: list[list], encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode(encoding, errors="replace")


def _xlsx_value(value):
    if isinstance(value, float) and (value != value or abs(value) == float("inf")):
        return None
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # a real sheet cannot hold them either
    return value


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        # Written raw (not through safe_cell): a sheet from outside may hold real formulas.
        sheet.append([_xlsx_value(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


ledger_rows = st.lists(st.lists(cells, min_size=len(HEADERS), max_size=len(HEADERS)), max_size=6)


def read_all(data: bytes, filename: str, fields=FIELDS) -> int:
    """Open and read every row; only TableError (with a Chinese message) may come out."""
    try:
        with open_table(io.BytesIO(data), filename=filename, fields=fields) as table:
            return sum(1 for _ in table.rows())
    except TableError as exc:
        chinese_error(exc)
        return -1


# ---------------------------------------------------------------- parsers


@given(st.one_of(st.text(max_size=25), st.integers(), st.floats(), st.none(), st.binary(max_size=20)))
@hsettings(BOUNDED, max_examples=150)
def test_id_number_parsing_raises_only_its_chinese_error(value):
    try:
        facts = idnumber.parse(value)
    except idnumber.InvalidIdNumber as exc:
        chinese_error(exc)
    else:
        assert len(idnumber.normalise(value)) == 18 and facts.birth_date


@given(st.one_of(st.text(max_size=25), cells))
@hsettings(BOUNDED, max_examples=150)
def test_date_parsing_raises_only_its_chinese_error(value):
    try:
        assert isinstance(parse_date(value), dt.date)
    except InvalidDate as exc:
        chinese_error(exc)


# ---------------------------------------------------------------- files


@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".xlsx", ".xls", ".txt", ""]))
@BOUNDED
def test_open_table_on_random_bytes(data, suffix):
    read_all(data, f"随机{suffix}")


@given(
    data=st.binary(max_size=2000),
    prefix=st.sampled_from(
        [b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf", b"\xff\xfe"]
    ),
)
@BOUNDED
def test_open_table_on_truncated_or_disguised_files(data, prefix):
    read_all(prefix + data, "台账.xlsx")
    read_all(prefix + data, "台账.csv")


@given(
    rows=ledger_rows,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "big5", "latin-1"]),
)
@BOUNDED
def test_open_table_on_ledgers_in_any_encoding(rows, encoding):
    data = csv_bytes([["流动儿童台账"], HEADERS, *rows], encoding)
    read_all(data, "台账.csv")


@given(rows=ledger_rows)
@FEW
def test_open_table_on_xlsx_with_formulas_and_huge_cells(rows):
    read_all(xlsx_bytes([HEADERS, *rows]), "台账.xlsx")


@pytest.mark.django_db
def test_ledger_row_conversion_never_raises(city):
    from ledger.rows import PlaceIndex, parse_row

    places = PlaceIndex.load()
    names = [f.name for f in FIELDS]
    on = timezone.localdate()

    @given(values=st.lists(cells, min_size=len(names), max_size=len(names)))
    @hsettings(BOUNDED, max_examples=120)
    def check(values):
        result = parse_row(dict(zip(names, values, strict=True)), on=on, places=places)
        for message in result.errors + result.warnings:
            assert isinstance(message, str) and CJK.search(message), message
        assert result.data is None or not result.errors

    check()


@pytest.mark.django_db
def test_feed_row_reader_never_raises(city):
    from exchange.models import FeedSource
    from exchange.rows import parse_row
    from exchange.sources import field_specs

    names = sorted({f.name for s in FeedSource.objects.all() for f in field_specs(s.fields)})

    @given(values=st.lists(cells, min_size=len(names), max_size=len(names)), number=st.integers(1, 10**6))
    @hsettings(BOUNDED, max_examples=120)
    def check(values, number):
        row = parse_row(number, dict(zip(names, values, strict=True)))
        assert row.reject == "" or CJK.search(row.reject)

    check()


@pytest.mark.django_db
def test_ledger_service_refuses_bad_files_with_chinese_messages(city):
    from ledger import services

    @given(
        data=st.one_of(
            st.binary(max_size=1500),
            st.builds(lambda rows: csv_bytes([HEADERS, *rows], "utf-8"), ledger_rows),
            st.builds(lambda rows: xlsx_bytes([HEADERS, *rows]), ledger_rows),
        ),
        suffix=st.sampled_from([".csv", ".xlsx"]),
    )
    @hsettings(BOUNDED, max_examples=15)
    def check(data, suffix):
        try:
            imp = services.ledger_upload(
                actor=city.yuekou_supervisor, file=io.BytesIO(data), filename=f"台账{suffix}"
            )
        except services.ImportRefused as exc:
            chinese_error(exc)
        else:
            services.ledger_commit(actor=city.yuekou_supervisor, ledger_import=imp)

    check()


@pytest.mark.django_db
def test_feed_pipeline_refuses_bad_files_with_chinese_messages(city):
    from exchange import services
    from exchange.models import FeedSource
    from exchange.testing import LAYOUTS

    @given(
        code=st.sampled_from(sorted(LAYOUTS)),
        rows=st.lists(st.lists(cells, min_size=11, max_size=11), max_size=4),
        noise=st.binary(max_size=600),
        kind=st.sampled_from(["csv", "xlsx", "bytes"]),
    )
    @hsettings(BOUNDED, max_examples=12)
    def check(code, rows, noise, kind):
        source = FeedSource.objects.get(code=code)
        headers = [h for h, _key in LAYOUTS[code]]
        rows = [r[: len(headers)] for r in rows]
        data = {
            "csv": lambda: csv_bytes([headers, *rows], "gb18030"),
            "xlsx": lambda: xlsx_bytes([headers, *rows]),
            "bytes": lambda: noise,
        }[kind]()
        name = f"feed.{'csv' if kind == 'bytes' else kind}"
        try:
            services.feed_import(actor=city.admin, source=source, file=io.BytesIO(data), file_name=name)
        except (TableError, services.ExchangeError) as exc:
            chinese_error(exc)

    check()


@pytest.mark.django_db
def test_upload_pages_never_answer_500(city, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    from exchange.models import FeedSource

    ledger_client = session(city.yuekou_supervisor)
    admin_client = session(city.admin)
    source = FeedSource.objects.get(code="education")

    @given(
        data=st.one_of(
            st.binary(max_size=1500), st.builds(lambda r: csv_bytes([HEADERS, *r], "gbk"), ledger_rows)
        ),
        name=st.sampled_from(
            ["台账.csv", "台账.xlsx", "台账.xls", "a", "../../etc/passwd.csv", "名" * 300 + ".csv"]
        ),
    )
    @hsettings(BOUNDED, max_examples=10)
    def check(data, name):
        answer = ledger_client.post("/ledger/import/", {"file": SimpleUploadedFile(name, data)})
        assert answer.status_code in (200, 302), answer.status_code
        answer = admin_client.post(
            "/exchange/upload/", {"source": source.pk, "file": SimpleUploadedFile(name, data)}
        )
        assert answer.status_code in (200, 302), answer.status_code

    check()


# ---------------------------------------------------------------- exports


def _cells(content: bytes):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


def assert_inert(content: bytes, payloads: list[str]) -> int:
    """No formula cell anywhere; the payloads, where present, are text (apostrophe first)."""
    found = 0
    for cell in _cells(content):
        assert cell.data_type != "f", f"formula in {cell.coordinate}: {cell.value!r}"
        if isinstance(cell.value, str):
            for payload in payloads:
                if payload in cell.value:
                    found += 1
                    assert cell.value.startswith("'") or cell.value[0] not in "=+-@", cell.value
    return found


@pytest.mark.django_db
def test_exports_neutralise_formula_injection(city, settings, tmp_path):
    from exchange import services as exchange
    from exchange.models import FeedSource
    from ledger import services as ledger
    from servicelist import services as servicelist
    from servicelist.models import Entitlement

    settings.MEDIA_ROOT = str(tmp_path)
    names = ["=1+1", "@SUM(A1)", '=HYPERLINK("http://x","y")']
    on = timezone.localdate()
    children = [
        make_child(
            village=city.yuekou_community,
            name=name,
            guardian_phone=f"1390000{n:04d}",
            arrival_date=on - dt.timedelta(days=800),
            hukou_county="411625",
        )
        for n, name in enumerate(names)
    ]
    for child in children:
        servicelist.entitlements_recompute(child=child)
    admin = session(city.admin)

    # The ledger export (masked and full numbers).
    for data in ({}, {"full_ids": "on"}):
        answer = admin.post("/ledger/export/", data)
        content = b"".join(answer.streaming_content) if answer.streaming else answer.content
        assert answer.status_code == 200 and assert_inert(content, names) >= len(names)

    # The gaps export with the children's list of one service.
    no = Entitlement.objects.filter(child=children[0]).order_by("no").values_list("no", flat=True).first()
    answer = admin.get(f"/services/gaps/export/?kind=children&service={no}")
    assert answer.status_code == 200
    content = b"".join(answer.streaming_content) if answer.streaming else answer.content
    assert_inert(content, names)

    # The statistics workbook.
    answer = admin.get("/stats/export.xlsx")
    assert answer.status_code == 200
    assert_inert(b"".join(answer.streaming_content) if answer.streaming else answer.content, names)

    # A ledger whose rejected rows carry formulas: the correction file keeps them as text.
    bad = [
        dict(zip(HEADERS, [name, "男", "2015-01-01", "123"] + [name] * (len(HEADERS) - 4), strict=True))
        for name in names
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for values in bad:
        writer.writerow([values[h] for h in HEADERS])
    imp = ledger.ledger_upload(
        actor=city.admin, file=io.BytesIO(buffer.getvalue().encode("utf-8")), filename="公式.csv"
    )
    answer = admin.get(f"/ledger/import/{imp.pk}/rejected.xlsx")
    assert answer.status_code == 200
    content = b"".join(answer.streaming_content) if answer.streaming else answer.content
    assert assert_inert(content, names) >= len(names)

    # A department feed with formulas in its cells: the reconciliation report stays inert.
    rows = [["学生姓名", "性别", "出生日期", "家长姓名", "家长联系电话"]] + [
        [name, "男", "2015-01-01", name, "13912345678"] for name in names
    ]
    batch = exchange.feed_import(
        actor=city.admin,
        source=FeedSource.objects.get(code="education"),
        file=io.BytesIO(csv_bytes(rows, "utf-8")),
        file_name="公式.csv",
    )
    answer = admin.get(f"/exchange/batches/{batch.pk}/report.xlsx")
    assert answer.status_code == 200
    assert_inert(answer.content, names)
