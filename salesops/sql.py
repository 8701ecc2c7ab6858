"""Quoting for SQL built as text (DuckDB): identifiers and string literals."""


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def string_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
