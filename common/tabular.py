"""Streaming reader for the ledgers and department feeds (xlsx and csv).

Departments send their own layouts: a title row or two above the headers,
headers that vary by year (身份证号 / 证件号码 / 公民身份号码 …), CSV in GBK or
UTF-8. ``open_table`` finds the header row, maps headers to the caller's fields
by synonyms (or by an explicit column mapping), and streams the data rows.
Every problem with the file itself is a ``TableError`` with a Chinese message
that says what was wrong and what to do; validating cell values is the caller's
job.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import difflib
import io
import os
import re
import tempfile
import threading
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
HEADER_SEARCH_ROWS = 30
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# A zip's declared sizes bound what can be decompressed; refuse "zip bombs"
# whose content is many times the size of the upload.
_MAX_UNZIPPED_RATIO = 20
_SNIFF_CHARS = 64 * 1024
_CHUNK = 1024 * 1024
_CSV_DELIMITERS = (",", "\t", ";")
_SHOW_HEADERS = 40

_HOW_TO_MAP = "请在导入页面的“列对应”步骤中指定，或在命令行使用 --columns 字段=表头，例如 --columns {example}"
_SAVE_AS = "请用 Excel 或 WPS 打开后另存为 .xlsx 或 .csv 再导入"

_WHITESPACE = re.compile(r"[\s\u200b\u200c\u200d\ufeff]+")
_PARENTHESISED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")
_COLUMN_ITEM_SPLIT = re.compile(r"[,;\n]+")
_INVISIBLE = "\u200b\u200c\u200d\ufeff"


class TableError(ValueError):
    """The file cannot be read as a table; ``str(exc)`` is a Chinese message for users.

    ``missing`` and ``headers`` let an import page offer the column-mapping step.
    """

    def __init__(
        self,
        message: str,
        *,
        missing: Sequence[FieldSpec] = (),
        headers: Sequence[str] = (),
        header_row: int | None = None,
    ) -> None:
        super().__init__(message)
        self.missing = list(missing)
        self.headers = list(headers)
        self.header_row = header_row


@dataclass(frozen=True)
class FieldSpec:
    """A field the caller wants; ``label`` and ``name`` also count as synonyms."""

    name: str
    label: str
    synonyms: tuple[str, ...] = ()
    required: bool = False


@dataclass
class TableRow:
    number: int  # data row number: 1 = the row directly under the header row
    values: dict[str, Any]  # every requested field; None when empty or the column is absent
    extras: dict[str, Any]  # unmapped columns: header text -> value


@dataclass
class Table:
    header_row: int  # 1-based physical row of the header
    mapping: dict[str, str]  # field name -> original header text
    unmapped_headers: list[str]
    warnings: list[str]
    source_format: str = "xlsx"  # "xlsx" or "csv"
    sheet_name: str | None = None
    encoding: str | None = None
    _row_iterator: Iterator[TableRow] | None = field(default=None, repr=False, compare=False)
    _closer: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def rows(self) -> Iterator[TableRow]:
        """The data rows, streamed; blank rows are skipped. May be iterated once."""
        if self._row_iterator is None:
            raise RuntimeError("Table.rows() may be iterated only once")
        iterator, self._row_iterator = self._row_iterator, None
        return iterator

    def close(self) -> None:
        """Release the file; needed only when the rows are not read to the end."""
        # Detach first: closing the generator runs its cleanup, which calls close() again.
        iterator, self._row_iterator = self._row_iterator, None
        if iterator is not None and hasattr(iterator, "close"):
            iterator.close()
        if self._closer is not None:
            closer, self._closer = self._closer, None
            closer()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# ---------------------------------------------------------------------------
# Headers and column mapping


def normalise_header(value: object) -> str:
    """The form in which headers are compared.

    NFKC (full-width letters, digits and parentheses to ASCII), no whitespace at
    all (Excel headers often hold line breaks), no ``*`` required markers, no
    trailing colon, case-folded.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = _WHITESPACE.sub("", text).replace("*", "")
    return text.rstrip(":").casefold()


def _loose(normalised: str) -> str:
    """A header without its parenthesised notes: 出生日期(年月日) -> 出生日期."""
    return _PARENTHESISED.sub("", normalised)


def parse_columns_option(text: str) -> dict[str, str]:
    """Parse ``"id_number=证件号,name=学生姓名"`` into ``{field: header}``.

    Keys may be field names or their Chinese labels; ``open_table`` resolves
    them. Items are separated by commas, semicolons or new lines (full-width
    ones too).
    """
    result: dict[str, str] = {}
    if not text or not text.strip():
        return result
    for raw_item in _COLUMN_ITEM_SPLIT.split(unicodedata.normalize("NFKC", text)):
        item = raw_item.strip()
        if not item:
            continue
        key, equals, header = item.partition("=")
        key, header = key.strip(), header.strip()
        if not equals or not key or not header:
            raise TableError(f"列对应“{item}”的格式不正确，应写成 字段=表头，例如 id_number=证件号码")
        if key in result:
            raise TableError(f"列对应中“{key}”出现了不止一次，每个字段只能对应一列")
        result[key] = header
    return result


def _resolve_columns(columns: Mapping[str, str] | None, fields: Sequence[FieldSpec]) -> dict[str, str]:
    """Column overrides keyed by field name (keys may be given as labels)."""
    if not columns:
        return {}
    by_name = {f.name: f for f in fields}
    by_label = {normalise_header(f.label): f for f in fields}
    resolved: dict[str, str] = {}
    for key, header in columns.items():
        spec = by_name.get(str(key).strip()) or by_label.get(normalise_header(key))
        if spec is None:
            known = "、".join(f"{f.name}（{f.label}）" for f in fields)
            raise TableError(f"列对应中的“{key}”不是可识别的字段。可用的字段有：{known}")
        if not normalise_header(header):
            raise TableError(f"列对应中“{key}”的表头为空，请填写文件中的表头名称")
        resolved[spec.name] = str(header)
    return resolved


@dataclass
class _Match:
    columns: dict[str, int]  # field name -> column index
    warnings: list[str]
    missing_overrides: dict[str, str]  # field name -> header asked for but not found

    @property
    def score(self) -> int:
        return len(self.columns)


class _Matcher:
    def __init__(self, fields: Sequence[FieldSpec], overrides: Mapping[str, str]) -> None:
        self.fields = list(fields)
        self.overrides = {name: normalise_header(header) for name, header in overrides.items()}
        self.overrides_raw = dict(overrides)
        self.exact: dict[str, set[str]] = {}
        self.loose: dict[str, set[str]] = {}
        for spec in self.fields:
            keys = {normalise_header(s) for s in (spec.name, spec.label, *spec.synonyms)} - {""}
            self.exact[spec.name] = keys
            self.loose[spec.name] = {_loose(k) for k in keys} - {""}

    def match(self, headers: Sequence[str]) -> _Match:
        norms = [normalise_header(h) for h in headers]
        looses = [_loose(n) for n in norms]
        taken: set[int] = set()
        columns: dict[str, int] = {}
        warnings: list[str] = []
        missing_overrides: dict[str, str] = {}
        labels = {f.name: f.label for f in self.fields}

        def free(candidates: list[str], wanted: set[str]) -> list[int]:
            return [i for i, n in enumerate(candidates) if n and i not in taken and n in wanted]

        # An explicit mapping wins over synonyms.
        for name, wanted in self.overrides.items():
            hits = free(norms, {wanted}) or free(looses, {_loose(wanted)})
            if hits:
                columns[name] = hits[0]
                taken.add(hits[0])
            else:
                missing_overrides[name] = wanted
        for loose in (False, True):
            for spec in self.fields:
                # A mapped header that is gone (a saved mapping, a renamed column) falls back to synonyms.
                if spec.name in columns:
                    continue
                hits = free(looses, self.loose[spec.name]) if loose else free(norms, self.exact[spec.name])
                if not hits:
                    continue
                columns[spec.name] = hits[0]
                taken.add(hits[0])
                if loose and _loose(norms[hits[0]]) != norms[hits[0]]:
                    # The header carried a note that was ignored: 姓名(监护人) may not be the child's name.
                    warnings.append(f"表头“{headers[hits[0]]}”按“{spec.label}”读取，如不正确请调整列对应")
                if len(hits) > 1:
                    others = "、".join(f"“{headers[i]}”" for i in hits[1:])
                    warnings.append(
                        f"有多列都可作为“{labels[spec.name]}”：已使用“{headers[hits[0]]}”，{others}作为其他列保留"
                    )
        return _Match(columns, warnings, missing_overrides)


def _header_text(value: object) -> str:
    value = _clean(value)
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _clean(value: object) -> Any:
    """Cell values as callers want them: stripped text, integral floats as int, dates as date."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().strip(_INVISIBLE).strip()
        return text or None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        # Excel stores every number as a float: 13812345678.0 is a phone number.
        # Beyond 2**53 the digits are already lost; keep the float so callers can tell.
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    return value


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        text = f"{size / (1024 * 1024):.1f}".removesuffix(".0")
        return f"{text} MB"
    if size >= 1024:
        text = f"{size / 1024:.1f}".removesuffix(".0")
        return f"{text} KB"
    return f"{size} 字节"


# ---------------------------------------------------------------------------
# Opening the source


@dataclass
class _Binary:
    file: BinaryIO
    owned: bool  # opened (or spooled) by us, so closed by us
    name: str

    def close(self) -> None:
        if self.owned:
            self.file.close()


def _too_big(size: int | None, max_bytes: int) -> TableError:
    if size is None:
        return TableError(
            f"文件超过了导入上限 {_size_text(max_bytes)}。请删去无关的工作表或分成几个文件后再导入"
        )
    return TableError(
        f"文件大小为 {_size_text(size)}，超过了导入上限 {_size_text(max_bytes)}。"
        "请删去无关的工作表或分成几个文件后再导入"
    )


def _open_binary(source: str | Path | BinaryIO, filename: str | None, max_bytes: int) -> _Binary:
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        name = filename or path.name
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise _too_big(size, max_bytes)
            return _Binary(path.open("rb"), owned=True, name=name)
        except OSError as exc:
            raise TableError(f"无法打开文件“{name}”，请确认文件存在并可读取") from exc
    name = filename or os.path.basename(str(getattr(source, "name", "") or ""))
    try:
        seekable = source.seekable() if hasattr(source, "seekable") else False
        if seekable and source.tell() == 0:
            size = source.seek(0, io.SEEK_END)
            source.seek(0)
            if size > max_bytes:
                raise _too_big(size, max_bytes)
            return _Binary(source, owned=False, name=name)
        # Not seekable (or already partly read): copy what is left, but never more than the limit.
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed by _Binary
        copied = 0
        while chunk := source.read(_CHUNK):
            copied += len(chunk)
            if copied > max_bytes:
                spool.close()
                raise _too_big(None, max_bytes)
            spool.write(chunk)
        spool.seek(0)
        return _Binary(spool, owned=True, name=name)  # type: ignore[arg-type]
    except TableError:
        raise
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise TableError("无法读取上传的文件，请重新上传") from exc


def open_table(
    source: str | Path | BinaryIO,
    *,
    filename: str | None,
    fields: Sequence[FieldSpec],
    columns: Mapping[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Table:
    """Open an xlsx or csv file, find its header row and map it to ``fields``.

    ``columns`` (field name or label -> header text) overrides the synonyms.
    Raises :class:`TableError` for anything wrong with the file; the returned
    table streams its rows, so close it (or read the rows to the end).
    """
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise ValueError("field names must be unique")
    overrides = _resolve_columns(columns, fields)
    binary = _open_binary(source, filename, max_bytes)
    try:
        head = binary.file.read(8)
        binary.file.seek(0)
        if head.startswith(OLE_MAGIC):
            raise TableError(
                "这是旧版 Excel（.xls）文件或加了密码的 Excel 文件，系统无法直接读取。"
                "请用 Excel 或 WPS 打开，取消密码后另存为 .xlsx 或 .csv 再导入"
            )
        if not head:
            raise TableError("文件是空的，请检查后重新上传")
        matcher = _Matcher(fields, overrides)
        if head.startswith(XLSX_MAGIC):
            table = _open_xlsx(binary, matcher, fields, max_bytes)
        else:
            table = _open_csv(binary, matcher, fields)
    except TableError:
        binary.close()
        raise
    except Exception as exc:  # anything else means a damaged or unexpected file, never a crash
        binary.close()
        raise TableError(f"无法读取文件，文件可能已损坏或格式不受支持。{_SAVE_AS}") from exc
    return table


# ---------------------------------------------------------------------------
# Formats


@dataclass
class _Candidate:
    """One sheet (or the csv file): its first rows buffered, the rest still streaming."""

    name: str | None
    head: list[tuple[Any, ...]]
    rest: Iterator[Sequence[Any]]
    header_index: int = -1  # 0-based in head
    match: _Match | None = None


def _buffer(rows: Iterator[Sequence[Any]]) -> tuple[list[tuple[Any, ...]], Iterator[Sequence[Any]]]:
    head: list[tuple[Any, ...]] = []
    for row in rows:
        head.append(tuple(row))
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    return head, rows


def _find_header(candidate: _Candidate, matcher: _Matcher) -> None:
    best: tuple[int, int, _Match] | None = None
    for index, row in enumerate(candidate.head):
        headers = [_header_text(v) for v in row]
        if not any(headers):
            continue
        match = matcher.match(headers)
        if best is None or match.score > best[0]:
            best = (match.score, index, match)
    if best is not None and best[0] > 0:
        candidate.header_index, candidate.match = best[1], best[2]


def _first_nonblank(head: list[tuple[Any, ...]]) -> int | None:
    for index, row in enumerate(head):
        if any(_header_text(v) for v in row):
            return index
    return None


def _shown_headers(headers: Sequence[str]) -> str:
    shown = [h for h in headers if h]
    if not shown:
        return "（空）"
    text = "、".join(f"“{h}”" for h in shown[:_SHOW_HEADERS])
    if len(shown) > _SHOW_HEADERS:
        text += f" 等 {len(shown)} 列"
    return text


def _suggest(spec: FieldSpec, unmapped: Sequence[str]) -> str | None:
    """The unmapped header that looks most like the field, if any does."""
    best, best_ratio = None, 0.5
    targets = [normalise_header(s) for s in (spec.label, *spec.synonyms)]
    for header in unmapped:
        norm = normalise_header(header)
        for target in targets:
            ratio = difflib.SequenceMatcher(None, norm, target).ratio()
            if ratio > best_ratio:
                best, best_ratio = header, ratio
    return best


def _build_table(
    candidate: _Candidate,
    matcher: _Matcher,
    fields: Sequence[FieldSpec],
    *,
    source_format: str,
    encoding: str | None,
    warnings: list[str],
    closer: Callable[[], None],
) -> Table:
    required = [f for f in fields if f.required]
    if candidate.match is None:
        index = _first_nonblank(candidate.head)
        if index is None:
            raise TableError("文件中没有数据（前 30 行都是空行），请检查是否选错了文件或工作表")
        headers = [_header_text(v) for v in candidate.head[index]]
        wanted = required or list(fields)
        labels = "、".join(f"“{f.label}”" for f in wanted)
        example = f"{wanted[0].name}={wanted[0].label}" if wanted else "id_number=证件号码"
        raise TableError(
            f"在文件前 {HEADER_SEARCH_ROWS} 行中没有找到可识别的表头（需要的列：{labels}）。"
            f"第 {index + 1} 行的内容为：{_shown_headers(headers)}。"
            f"如果表头名称与系统不同，{_HOW_TO_MAP.format(example=example)}",
            missing=wanted,
            headers=[h for h in headers if h],
            header_row=index + 1,
        )

    match = candidate.match
    header_row = candidate.header_index + 1
    headers = [_header_text(v) for v in candidate.head[candidate.header_index]]
    mapped_columns = set(match.columns.values())
    unmapped = [h for i, h in enumerate(headers) if h and i not in mapped_columns]

    missing = [f for f in required if f.name not in match.columns]
    if missing:
        parts = []
        for spec in missing:
            if spec.name in match.missing_overrides:
                asked = matcher.overrides_raw[spec.name]
                parts.append(f"“{spec.label}”（指定的表头“{asked}”在文件中不存在）")
                continue
            guess = _suggest(spec, unmapped)
            parts.append(f"“{spec.label}”（可能是“{guess}”？）" if guess else f"“{spec.label}”")
        first = missing[0]
        example = f"{first.name}={_suggest(first, unmapped) or first.label}"
        raise TableError(
            f"缺少必填的列：{'、'.join(parts)}。"
            f"在第 {header_row} 行找到的表头为：{_shown_headers(headers)}。"
            f"如果文件中这些列的表头名称不同，{_HOW_TO_MAP.format(example=example)}",
            missing=missing,
            headers=[h for h in headers if h],
            header_row=header_row,
        )

    warnings = [*warnings, *match.warnings]
    for name in match.missing_overrides:
        label = next(f.label for f in fields if f.name == name)
        asked = matcher.overrides_raw[name]
        if name in match.columns:
            used = headers[match.columns[name]]
            warnings.append(f"列对应中为“{label}”指定的表头“{asked}”在文件中不存在，已改用“{used}”")
        else:
            warnings.append(f"列对应中为“{label}”指定的表头“{asked}”在文件中不存在，该字段将为空")
    if unmapped:
        warnings.append(f"以下列不是系统字段，将作为备注保留或忽略：{_shown_headers(unmapped)}")

    mapping = {name: headers[index] for name, index in match.columns.items()}
    table = Table(
        header_row=header_row,
        mapping=mapping,
        unmapped_headers=unmapped,
        warnings=warnings,
        source_format=source_format,
        sheet_name=candidate.name,
        encoding=encoding,
        _closer=closer,
    )
    table._row_iterator = _stream_rows(table, candidate, match, fields, headers)
    return table


def _extra_keys(headers: Sequence[str], mapped: set[int]) -> dict[int, str]:
    keys: dict[int, str] = {}
    seen: set[str] = set()
    for index, header in enumerate(headers):
        if index in mapped or not header:
            continue
        key = header if header not in seen else f"{header}（第{index + 1}列）"
        seen.add(key)
        keys[index] = key
    return keys


def _stream_rows(
    table: Table,
    candidate: _Candidate,
    match: _Match,
    fields: Sequence[FieldSpec],
    headers: Sequence[str],
) -> Iterator[TableRow]:
    columns = match.columns
    extra_keys = _extra_keys(headers, set(columns.values()))
    header_norms = {i: normalise_header(headers[i]) for i in columns.values()}
    physical = candidate.header_index + 1
    number = 0
    rows = iter(candidate.head[candidate.header_index + 1 :])
    try:
        for source in (rows, candidate.rest):
            for raw in source:
                physical += 1
                number += 1
                cells = [_clean(v) for v in raw]
                if all(c is None for c in cells):
                    continue
                width = len(cells)
                if header_norms and all(
                    i < width and normalise_header(_header_text(cells[i])) == n
                    for i, n in header_norms.items()
                ):
                    table.warnings.append(f"第 {physical} 行重复了表头，已跳过")
                    continue
                values = {f.name: None for f in fields}
                for name, index in columns.items():
                    values[name] = cells[index] if index < width else None
                extras: dict[str, Any] = {}
                for index, key in extra_keys.items():
                    extras[key] = cells[index] if index < width else None
                for index in range(len(headers), width):
                    # Values in columns without any header are kept, so nothing is silently lost.
                    if cells[index] is not None:
                        extras[f"第{index + 1}列"] = cells[index]
                yield TableRow(number=number, values=values, extras=extras)
    except TableError:
        raise
    except Exception as exc:
        raise TableError(
            f"读取第 {physical + 1} 行附近时出错，文件可能已损坏。{_SAVE_AS}，或检查该行内容"
        ) from exc
    finally:
        table.close()


_UNSIZED = threading.local()


@contextlib.contextmanager
def _sheets_unsized() -> Iterator[None]:
    """Open read-only sheets without their size: openpyxl parses a whole sheet at load to find a
    dimension the sheet does not declare, and ``reset_dimensions()`` throws the size away anyway."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    if not getattr(ReadOnlyWorksheet._get_size, "_tabular_patched", False):
        sized = ReadOnlyWorksheet._get_size

        def _get_size(self) -> None:
            if not getattr(_UNSIZED, "active", False):
                sized(self)

        _get_size._tabular_patched = True  # type: ignore[attr-defined]
        ReadOnlyWorksheet._get_size = _get_size
    _UNSIZED.active = True
    try:
        yield
    finally:
        _UNSIZED.active = False


def _open_xlsx(binary: _Binary, matcher: _Matcher, fields: Sequence[FieldSpec], max_bytes: int) -> Table:
    import openpyxl  # imported here: csv-only callers need not pay for it

    try:
        with zipfile.ZipFile(binary.file) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
        binary.file.seek(0)
        if unzipped > _MAX_UNZIPPED_RATIO * max_bytes:
            raise TableError(
                f"文件解压后超过 {_size_text(_MAX_UNZIPPED_RATIO * max_bytes)}，无法导入。请拆分后再导入"
            )
        with _sheets_unsized():
            workbook = openpyxl.load_workbook(binary.file, read_only=True, data_only=True)
    except TableError:
        raise
    except Exception as exc:
        hint = ""
        if binary.name and not binary.name.lower().endswith((".xlsx", ".xlsm")):
            hint = "（它可能是 WPS、Numbers 或其他格式的压缩文件）"
        raise TableError(f"文件不是有效的 Excel（.xlsx）文件，或已损坏{hint}。{_SAVE_AS}") from exc

    def close() -> None:
        workbook.close()
        binary.close()

    try:
        sheets = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"] or list(
            workbook.worksheets
        )
        if not sheets:
            raise TableError("工作簿中没有工作表，请检查文件")
        candidates: list[_Candidate] = []
        for sheet in sheets:
            # The stored dimension is often wrong (too small or the whole sheet); ignore it.
            sheet.reset_dimensions()
            rows = _sheet_values(sheet)
            head, rest = _buffer(rows)
            candidate = _Candidate(name=sheet.title, head=head, rest=rest)
            _find_header(candidate, matcher)
            candidates.append(candidate)
        chosen = candidates[0]
        for candidate in candidates[1:]:
            if candidate.match and (chosen.match is None or candidate.match.score > chosen.match.score):
                chosen = candidate
        for candidate in candidates:
            if candidate is not chosen and hasattr(candidate.rest, "close"):
                candidate.rest.close()
        warnings = []
        if len(sheets) > 1:
            warnings.append(
                f"工作簿中有 {len(sheets)} 个工作表，已读取表头最匹配的“{chosen.name}”，其他工作表未导入"
            )
        return _build_table(
            chosen, matcher, fields, source_format="xlsx", encoding=None, warnings=warnings, closer=close
        )
    except BaseException:
        workbook.close()
        raise


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW_TAG, _CELL_TAG, _VALUE_TAG = _SHEET_NS + "row", _SHEET_NS + "c", _SHEET_NS + "v"
_INLINE_TAG, _TEXT_TAG, _RUN_TAG = _SHEET_NS + "is", _SHEET_NS + "t", _SHEET_NS + "r"
_DIGITS = "0123456789"


def _sheet_values(sheet) -> Iterator[Sequence[Any]]:
    """The values of a read-only sheet's rows, as ``sheet.iter_rows(values_only=True)`` gives
    them after ``reset_dimensions()`` (missing rows as empty rows, cells padded with None up to
    the row's last cell), read straight from the sheet's XML: openpyxl builds an object per
    cell (and per inline string), which cost more than the whole registration of a row."""
    if not hasattr(sheet, "_get_source"):
        yield from sheet.iter_rows(values_only=True)
        return
    from openpyxl.utils.cell import column_index_from_string
    from openpyxl.utils.datetime import from_excel, from_ISO8601
    from openpyxl.xml.functions import iterparse  # the parser openpyxl itself uses (defusedxml when present)

    workbook = sheet.parent
    shared = workbook.shared_strings
    date_styles, timedelta_styles, epoch = workbook._date_formats, workbook._timedelta_formats, workbook.epoch
    columns: dict[str, int] = {}
    expected = 1
    with sheet._get_source() as source:
        for _event, element in iterparse(source):
            if element.tag != _ROW_TAG:
                continue
            number = element.get("r")
            if number is not None:
                try:
                    index = int(number)
                except ValueError:
                    index = int(float(number))
            else:
                index = expected
            if index < expected:
                element.clear()  # a row number going backwards: openpyxl skips the row too
                continue
            while expected < index:
                expected += 1
                yield []
            cells: list[tuple[int, Any]] = []
            column = 0
            for cell in element:
                if cell.tag != _CELL_TAG:
                    continue
                coordinate = cell.get("r")
                if coordinate:
                    letters = coordinate.rstrip(_DIGITS)
                    column = columns.get(letters) or columns.setdefault(
                        letters, column_index_from_string(letters)
                    )
                else:
                    column += 1
                kind = cell.get("t", "n")
                value: Any = None
                if kind == "inlineStr":
                    inline = cell.find(_INLINE_TAG)
                    if inline is not None:
                        plain = inline.find(_TEXT_TAG)
                        parts = [plain.text or ""] if plain is not None else []
                        parts += [run.findtext(_TEXT_TAG) or "" for run in inline.iterfind(_RUN_TAG)]
                        value = "".join(parts)
                else:
                    value = cell.findtext(_VALUE_TAG) or None
                    if value is not None:
                        if kind == "n":
                            value = (
                                float(value) if ("." in value or "E" in value or "e" in value) else int(value)
                            )
                            style = int(cell.get("s") or 0)
                            if style in date_styles:
                                try:
                                    value = from_excel(value, epoch, timedelta=style in timedelta_styles)
                                except (OverflowError, ValueError):
                                    value = "#VALUE!"
                        elif kind == "s":
                            value = shared[int(value)]
                        elif kind == "b":
                            value = bool(int(value))
                        elif kind == "d":
                            value = from_ISO8601(value)
                cells.append((column, value))
            element.clear()
            expected = index + 1
            if not cells:
                yield ()
                continue
            width = cells[-1][0]
            values: list[Any] = [None] * width
            for position, value in cells:
                if 1 <= position <= width:
                    values[position - 1] = value
            yield tuple(values)


def _decodes(file: BinaryIO, encoding: str) -> bool:
    """Whether the whole file decodes; read in chunks so a big file is never held at once."""
    file.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        while chunk := file.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        file.seek(0)
    return True


def _detect_encoding(file: BinaryIO) -> str:
    head = file.read(4)
    file.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]  # Excel's "Unicode text" export
    else:
        # GBK is a subset of GB18030, so GBK files decode correctly as GB18030.
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        if _decodes(file, encoding):
            return encoding
    raise TableError(
        f"无法识别文件的编码或格式：它不是 .xlsx，也不是 UTF-8 或 GBK 编码的 CSV 文本。{_SAVE_AS}"
    )


def _sniff_delimiter(sample: str) -> str:
    """The delimiter giving the most rows with the same (more than one) number of fields."""
    best, best_score = ",", (0, 0)
    for delimiter in _CSV_DELIMITERS:
        try:
            rows = list(_take(csv.reader(io.StringIO(sample), delimiter=delimiter), 50))
        except csv.Error:
            continue
        counts = [len(r) for r in rows if len(r) > 1 and any(c.strip() for c in r)]
        if not counts:
            continue
        width, frequency = Counter(counts).most_common(1)[0]
        score = (frequency, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _take(iterable: Iterable[Any], count: int) -> Iterator[Any]:
    for index, item in enumerate(iterable):
        if index >= count:
            return
        yield item


def _open_csv(binary: _Binary, matcher: _Matcher, fields: Sequence[FieldSpec]) -> Table:
    file = binary.file
    encoding = _detect_encoding(file)
    sample_bytes = file.read(_SNIFF_CHARS * 2)
    file.seek(0)
    if encoding != "utf-16" and b"\x00" in sample_bytes:
        raise TableError(f"文件不是 .xlsx，也不是 CSV 文本（含有二进制内容），可能已损坏。{_SAVE_AS}")
    sample = sample_bytes.decode(encoding, errors="ignore")
    if len(sample_bytes) == _SNIFF_CHARS * 2 and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # do not sniff a cut-off last line
    delimiter = _sniff_delimiter(sample)

    limit = max(csv.field_size_limit(), min(binary.file.seek(0, io.SEEK_END), 2**31 - 1))
    file.seek(0)
    # Long cells are the caller's business; the csv module's default limit (128 KB) would crash.
    csv.field_size_limit(limit)
    text = io.TextIOWrapper(file, encoding=encoding, newline="")

    def close() -> None:
        try:
            text.detach()  # leave the caller's file open
        except ValueError:
            pass
        binary.close()

    try:
        reader = csv.reader(text, delimiter=delimiter)
        head, rest = _buffer(reader)
        candidate = _Candidate(name=None, head=head, rest=rest)
        _find_header(candidate, matcher)
        warnings = []
        if binary.name.lower().endswith((".xlsx", ".xls")):
            warnings.append(f"文件“{binary.name}”的扩展名是 Excel，但内容是 CSV 文本，已按 CSV 读取")
        shown_encoding = {
            "utf-8-sig": "UTF-8",
            "utf-8": "UTF-8",
            "gb18030": "GBK/GB18030",
            "utf-16": "UTF-16",
        }
        table = _build_table(
            candidate,
            matcher,
            fields,
            source_format="csv",
            encoding=shown_encoding[encoding],
            warnings=warnings,
            closer=close,
        )
    except BaseException:
        close()
        raise
    return table
