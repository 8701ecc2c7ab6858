"""Read one export file (CSV or XLSX) into a typed Arrow table with lineage.

The reader is strict about structure and lenient about nothing it cannot prove:
an unreadable file, a missing required column or a ragged row raise
:class:`ExportError` naming the file, column or line and what to do. A value
that does not parse as its contract type is recorded as a :class:`ParseProblem`
(file, line, column, value) for the quality gate to report; it never becomes a
silent default.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import itertools
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ingestion.contracts import Column, Entity

LINEAGE_FIELDS = (
    pa.field("_delivery", pa.string()),
    pa.field("_file", pa.string()),
    pa.field("_line_number", pa.int64()),
    pa.field("_content_hash", pa.string()),
    pa.field("_loaded_at", pa.timestamp("us")),
)
"""The columns every raw table ends with: where each record came from (inputs.md lineage)."""
HEADER_SEARCH_ROWS = 10
"""How far down a file a header placed below a title is looked for (to say so, rather than name every column)."""
IMPLICIT_DELIVERY = "0000-00-00"
"""Delivery id of files placed directly under ``<source>/``: sorts before any dated delivery."""

DECIMAL = pa.decimal128(20, 4)
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "decimal": DECIMAL,
    "number": pa.float64(),
    "integer": pa.int64(),
    "cents": pa.int64(),
    "epoch": pa.timestamp("us"),
    "bamboo_money": DECIMAL,
}
_BAMBOO_MONEY = re.compile(r"^\s*(?P<amount>-?[\d,]*\d(?:\.\d+)?)\s*(?P<currency>[A-Za-z]{3})?\s*$")


class ExportError(Exception):
    """An export that cannot be loaded as it is; the message says where and what to do."""


@dataclass(frozen=True)
class ExportFile:
    """One delivered file of one entity."""

    source: str
    delivery: str
    path: Path
    relative_path: str

    @cached_property
    def scan(self) -> FileScan:
        """One pass over the bytes, kept: the hash that identifies the delivery, and its line breaks."""
        digest, newlines, last = hashlib.sha256(), 0, b""
        with open(self.path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
        return FileScan(digest.hexdigest(), newlines + (1 if last not in (b"", b"\n") else 0))

    def content_hash(self) -> str:
        return self.scan.content_hash


@dataclass(frozen=True)
class FileScan:
    content_hash: str
    physical_lines: int
    """Lines as an editor counts them (the last one need not end with a line break)."""


@dataclass(frozen=True)
class TextTable:
    """A file's records as text, column by column ("" for an empty field), and the line each record starts at."""

    header: list[str]
    columns: list[pa.Array]
    line_numbers: pa.Array

    @classmethod
    def from_records(cls, header: list[str], records: list[list[str]], line_numbers: list[int]) -> TextTable:
        columns = [pa.array([row[position] for row in records], pa.string()) for position in range(len(header))]
        return cls(header, columns, pa.array(line_numbers, pa.int64()))


@dataclass(frozen=True)
class ParseProblem:
    file: str
    line: int
    column: str
    value: str
    expected: str

    def describe(self) -> str:
        return f"{self.file} line {self.line}, column {self.column!r}: {self.value!r} is not {self.expected}"


@dataclass
class RawBatch:
    """A file read and typed: the table to land in the lake, plus what did not parse."""

    file: ExportFile
    entity: Entity
    content_hash: str
    table: pa.Table
    loaded_at: dt.datetime
    parse_problems: list[ParseProblem] = field(default_factory=list)
    """Sample problems, at most ``max_problem_samples`` per column."""
    unparsed_lines: dict[str, list[int]] = field(default_factory=dict)
    """Column -> the line of every value in it that did not parse."""

    @property
    def rows(self) -> int:
        return self.table.num_rows

    @property
    def parse_problem_counts(self) -> dict[str, int]:
        """Column -> how many of its values did not parse."""
        return {column: len(lines) for column, lines in self.unparsed_lines.items()}


_EXPECTED = {
    "boolean": "true or false",
    "date": "a date YYYY-MM-DD",
    "timestamp": "an ISO 8601 date-time such as 2026-03-01T14:03:22.000Z",
    "decimal": "a decimal number such as 48250.00",
    "number": "a number",
    "integer": "a whole number",
    "cents": "a whole number of cents",
    "epoch": "Unix epoch seconds (a whole number)",
    "bamboo_money": 'an amount such as "85,000.00 USD"',
}


def read_export(file: ExportFile, entity: Entity, loaded_at: dt.datetime, max_problem_samples: int = 50) -> RawBatch:
    """Read, check the header against the contract, and type one export file."""
    batch = _typed_batch(file, entity, loaded_at, max_problem_samples)
    # Arrow's allocator keeps what the text columns and the casts freed, for reuse: ~330 MB after a
    # 190 MB file, resident until the process ends. Returned now, a big file costs its table, not twice it.
    pa.default_memory_pool().release_unused()
    return batch


def _typed_batch(file: ExportFile, entity: Entity, loaded_at: dt.datetime, max_problem_samples: int) -> RawBatch:
    content_hash = file.content_hash()
    text = _read_rows(file, entity.required_columns)
    _check_header(file, entity, text.header)
    line_numbers = text.line_numbers

    problems: list[ParseProblem] = []
    unparsed_lines: dict[str, list[int]] = {}
    arrays: dict[str, pa.Array] = {}
    for name, delivered in zip(text.header, text.columns, strict=True):
        values = pc.if_else(pc.equal(delivered, ""), pa.scalar(None, pa.string()), delivered)
        column = entity.column(name) if name in entity.required_columns else Column(name)
        if name in entity.id_columns:
            # " 1042" and "1042" are one person: ids are compared trimmed across deliveries.
            values = pc.utf8_trim_whitespace(values)
            values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        typed, bad = _type_column(values, column)
        if bad:
            unparsed_lines[name] = line_numbers.take(pa.array(bad, pa.int64())).to_pylist()
            problems.extend(
                ParseProblem(file.relative_path, line, name, values[index].as_py(), _EXPECTED[column.type])
                for index, line in zip(bad[:max_problem_samples], unparsed_lines[name], strict=False)
            )
        arrays[name] = typed
        if column.type == "bamboo_money":
            arrays[f"{name} (currency)"] = _bamboo_currency(values)

    table = pa.table({**arrays, **lineage_arrays(file, content_hash, loaded_at, line_numbers)})
    return RawBatch(file, entity, content_hash, table, loaded_at, problems, unparsed_lines)


def read_records(file: ExportFile, lines: set[int]) -> dict[int, dict[str, str]]:
    """The records of a file that start at ``lines``, as delivered: header label -> text.

    For the quarantine, which keeps a set-aside row's values as they were in the file.
    """
    text = _read_rows(file)
    wanted = pc.is_in(text.line_numbers, pa.array(sorted(lines), pa.int64()))
    columns = [column.filter(wanted).to_pylist() for column in text.columns]
    return {
        line: dict(zip(text.header, record, strict=True))
        for line, *record in zip(text.line_numbers.filter(wanted).to_pylist(), *columns, strict=True)
    }


def lineage_arrays(
    file: ExportFile, content_hash: str, loaded_at: dt.datetime, line_numbers: list[int] | pa.Array
) -> dict[str, pa.Array]:
    """The lineage columns (``LINEAGE_FIELDS``) of records read from one file at the given lines.

    The strings are the same on every row: dictionary-encoded, they cost one value, not one per row.
    """
    rows = len(line_numbers)
    same_on_every_row = {"_delivery": file.delivery, "_file": file.relative_path, "_content_hash": content_hash}
    first = pa.array(np.zeros(rows, np.int32))
    arrays = {
        name: pa.DictionaryArray.from_arrays(first, pa.array([value])) for name, value in same_on_every_row.items()
    }
    arrays["_line_number"] = pa.array(line_numbers, pa.int64())
    arrays["_loaded_at"] = pa.repeat(pa.scalar(loaded_at, pa.timestamp("us")), rows)
    return {field.name: arrays[field.name] for field in LINEAGE_FIELDS}


def empty_contract_table(entity: Entity) -> pa.Table:
    """A zero-row table with the contract's typed columns and the lineage columns."""
    fields = []
    for column in entity.columns:
        fields.append(pa.field(column.name, ARROW_TYPES[column.type]))
        if column.type == "bamboo_money":
            fields.append(pa.field(f"{column.name} (currency)", pa.string()))
    return pa.schema([*fields, *LINEAGE_FIELDS]).empty_table()


def _read_rows(file: ExportFile, expected: tuple[str, ...] = ()) -> TextTable:
    """The header, the records as text, and the line (CSV) or row (XLSX) each record starts at.

    ``expected`` (the contract's columns) lets a header placed below a title be found and named.
    """
    if file.path.suffix.lower() == ".xlsx":
        return TextTable.from_records(*_read_xlsx(file, expected))
    return _read_csv_columns(file) or TextTable.from_records(*_read_csv(file, expected))


def _read_csv_columns(file: ExportFile) -> TextTable | None:
    """Arrow's vectorised reader, for a well-formed file; None when the file needs the exact reader below.

    That is a file Arrow cannot read (it names no line), with blank lines (Arrow skips them, which
    would shift every line number after them) or a header it reads differently. The exact reader
    then reads it again and names the line and what to do.
    """
    try:
        with open(file.path, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle, strict=True), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if not header or len(set(header)) != len(header):
        return None
    try:
        table = pa_csv.read_csv(
            file.path,
            read_options=pa_csv.ReadOptions(block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError):
        return None
    if table.column_names != header:
        return None
    columns = [column.combine_chunks() for column in table.columns]
    rows = table.num_rows
    # A record spans one line plus the line breaks inside its quoted values.
    breaks = np.zeros(rows, np.int64)
    for column in columns:
        breaks += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False)
    if 1 + rows + int(breaks.sum()) != file.scan.physical_lines:
        return None
    starts = 2 + np.arange(rows) + np.concatenate(([0], np.cumsum(breaks)[:-1])) if rows else np.zeros(0)
    return TextTable([name.strip() for name in header], columns, pa.array(starts.astype(np.int64)))


def _header_below(file: ExportFile, expected: tuple[str, ...], values: list[str], line: int) -> None:
    """Raise when a record near the top holds every expected column label: the header is there, not first."""
    if expected and line <= HEADER_SEARCH_ROWS + 1 and set(expected) <= {value.strip() for value in values}:
        where = "row" if file.path.suffix.lower() == ".xlsx" else "line"
        raise ExportError(
            f"{file.relative_path}: the header is on {where} {line}, not on the first. "
            "Delete the rows above it (a title, notes) and run again."
        )


def _read_csv(file: ExportFile, expected: tuple[str, ...] = ()) -> tuple[list[str], list[list[str]], list[int]]:
    try:
        handle = open(file.path, encoding="utf-8-sig", newline="")  # noqa: SIM115 (the with below closes it)
    except OSError as error:
        raise ExportError(
            f"{file.relative_path}: cannot open the file ({error.strerror}). Check that it exists and is readable."
        ) from error
    records: list[list[str]] = []
    line_numbers: list[int] = []
    with handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
            if not header:
                raise ExportError(
                    f"{file.relative_path}: the file is empty; a header row is required. Re-export it with its header."
                )
            width = len(header)
            first_line = reader.line_num + 1
            for row in reader:
                if not row:  # a blank line between records
                    first_line = reader.line_num + 1
                    continue
                if len(row) != width:
                    _header_below(file, expected, row, first_line)
                    raise ExportError(
                        f"{file.relative_path} line {first_line}: {len(row)} fields where the header has {width}. "
                        "The file is ragged (an unquoted comma or newline?); re-export it as RFC 4180 CSV."
                    )
                records.append(row)
                line_numbers.append(first_line)
                first_line = reader.line_num + 1
        except UnicodeDecodeError as error:
            raise ExportError(_not_utf8(file)) from error
        except csv.Error as error:
            raise ExportError(
                f"{file.relative_path} line {reader.line_num}: unreadable CSV ({error}). "
                "Re-export it as RFC 4180 CSV (comma separated, double-quoted)."
            ) from error
    return [name.strip() for name in header], records, line_numbers


def _not_utf8(file: ExportFile) -> str:
    """Where the file stops being UTF-8, and what it probably is (Excel saves CSV as Windows-1252)."""
    data = file.path.read_bytes()
    try:
        data.decode("utf-8")
        position = len(data)
    except UnicodeDecodeError as error:
        position = error.start
    line = data.count(b"\n", 0, position) + 1
    try:
        data.decode("cp1252")
        guess = "it reads as Windows-1252 (Latin-1), as Excel saves CSV"
    except UnicodeDecodeError:
        guess = "its encoding is unknown"
    return (
        f"{file.relative_path} line {line}: not valid UTF-8 (byte 0x{data[position]:02X}); {guess}. "
        "Export the file as UTF-8 (in Excel: CSV UTF-8), or convert it, e.g. iconv -f cp1252 -t utf-8."
    )


def _read_xlsx(file: ExportFile, expected: tuple[str, ...] = ()) -> tuple[list[str], list[list[str]], list[int]]:
    import openpyxl  # only XLSX deliveries pay for the import

    try:
        workbook = openpyxl.load_workbook(file.path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a corrupt workbook
        raise ExportError(
            f"{file.relative_path}: cannot read the workbook ({error}). Save it again as .xlsx or export it as CSV."
        ) from error
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        top = list(itertools.islice(rows, HEADER_SEARCH_ROWS + 1))
        for row_number, cells in enumerate(top[1:], start=2):
            _header_below(file, expected, [_xlsx_text(cell) for cell in cells], row_number)
        rows = itertools.chain(top, rows)
        header_cells = next(rows, None)
        if not header_cells or all(cell is None for cell in header_cells):
            below = next(
                ((number, cells) for number, cells in enumerate(rows, start=2) if any(c is not None for c in cells)),
                None,
            )
            found = (
                f"; row {below[0]} is the first with values ({', '.join(_xlsx_text(c) for c in below[1] if c)[:80]})"
                if below
                else ""
            )
            raise ExportError(
                f"{file.relative_path}: the first sheet has no header in row 1{found}. "
                "Put the column labels in row 1 of the first sheet (delete the rows above them)."
            )
        header = [_xlsx_text(cell).strip() for cell in header_cells]
        while header and header[-1] == "":
            header.pop()
        width = len(header)
        records, line_numbers = [], []
        for row_number, cells in enumerate(rows, start=2):
            values = [_xlsx_text(cell) for cell in cells[:width]]
            values += [""] * (width - len(values))
            if any(cells[width:]) and any(cell not in (None, "") for cell in cells[width:]):
                raise ExportError(
                    f"{file.relative_path} row {row_number}: values beyond the last header column. "
                    "Give every column a header label in row 1."
                )
            if all(value == "" for value in values):
                continue
            records.append(values)
            line_numbers.append(row_number)
    finally:
        workbook.close()
    return header, records, line_numbers


def _xlsx_text(cell: object) -> str:
    """A cell as the text the CSV export of the same report would hold."""
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _check_header(file: ExportFile, entity: Entity, header: list[str]) -> None:
    seen = set()
    for name in header:
        if name in seen:
            raise ExportError(
                f"{file.relative_path}: column {name!r} appears twice in the header. "
                "Remove or rename the duplicate column."
            )
        seen.add(name)
    missing = [name for name in entity.required_columns if name not in seen]
    if not missing:
        return
    if len(header) == 1 and any(separator in header[0] for separator in ";\t|"):
        raise ExportError(
            f"{file.relative_path} line 1: the header is one column, {header[0][:60]!r}…: the file is not "
            "comma separated (Excel in some locales saves CSV with semicolons). Export it comma separated."
        )
    listed = ", ".join(repr(name) for name in missing)
    unknown = [name for name in header if name not in entity.required_columns]
    hint = (
        f" The header has {', '.join(repr(name) for name in unknown)}, which the contract does not know: "
        "was a column renamed?"
        if unknown
        else ""
    )
    raise ExportError(
        f"{file.relative_path}: required column{'s' if len(missing) > 1 else ''} {listed} missing "
        f"(an {entity.source} {entity.files[0]} export must have {', '.join(entity.required_columns)}).{hint} "
        "Add the column to the export (the header must use the system's own field name) and run again."
    )


def _type_column(values: pa.Array, column: Column) -> tuple[pa.Array, list[int]]:
    """Cast a string column to its contract type; return the typed array and the rows that did not parse."""
    if column.type == "string":
        return values, []
    if column.type == "bamboo_money":
        amounts = pc.replace_substring(pc.extract_regex(values, _BAMBOO_MONEY.pattern).field("amount"), ",", "")
        matched = pc.match_substring_regex(values, _BAMBOO_MONEY.pattern)
        staged = pc.if_else(matched, amounts, pa.scalar("not money", pa.string()))
        return _cast_or_report(staged, DECIMAL)
    if column.type == "boolean":
        return _cast_or_report(pc.utf8_lower(values), pa.bool_())
    if column.type == "timestamp":
        # ISO 8601 without a zone offset is read as UTC, like the rest of the export.
        has_zone = pc.match_substring_regex(values, r"(Z|[+-]\d\d:?\d\d)$")
        values = pc.if_else(has_zone, values, pc.binary_join_element_wise(values, "Z", ""))
        typed, bad = _cast_or_report(values, pa.timestamp("us", tz="UTC"))
        return typed.cast(pa.timestamp("us")), bad
    if column.type == "epoch":
        seconds, bad = _cast_or_report(values, pa.int64())
        # Beyond year 9999 an epoch value is milliseconds or garbage, not seconds.
        too_large = pc.fill_null(pc.greater(pc.abs(seconds), 253402300799), False)
        bad = sorted(bad + pc.indices_nonzero(too_large).to_pylist())
        seconds = pc.if_else(too_large, pa.scalar(None, pa.int64()), seconds)
        return seconds.cast(pa.timestamp("s")).cast(pa.timestamp("us")), bad
    return _cast_or_report(values, ARROW_TYPES[column.type])


def _cast_or_report(values: pa.Array, target: pa.DataType) -> tuple[pa.Array, list[int]]:
    try:
        return pc.cast(values, target), []
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # Slow path, only for a column that holds bad values: find them one by one.
    bad: list[int] = []
    cleaned = []
    for index, value in enumerate(values.to_pylist()):
        if value is None:
            cleaned.append(None)
            continue
        try:
            pc.cast(pa.array([value], values.type), target)
            cleaned.append(value)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            bad.append(index)
            cleaned.append(None)
    return pc.cast(pa.array(cleaned, values.type), target), bad


def _bamboo_currency(values: pa.Array) -> pa.Array:
    return pc.utf8_upper(pc.extract_regex(values, _BAMBOO_MONEY.pattern).field("currency"))
