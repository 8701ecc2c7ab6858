"""Checks across inputs: planning rows must name people HR knows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.lake import RawLake


@dataclass(frozen=True)
class UnknownPerson:
    file: str
    line: int
    employee_number: str
    period: str

    def describe(self) -> str:
        return f"{self.file} line {self.line}: employee_number {self.employee_number!r} ({self.period})"


def _raw(lake_dir: Path, source: str, name: str) -> str:
    glob = RawLake(lake_dir).table_glob(source, name).replace("'", "''")
    return f"read_parquet('{glob}', union_by_name = true, hive_partitioning = false)"


def quotas_for_unknown_people(lake_dir: Path) -> list[UnknownPerson]:
    """Current quota rows (latest delivery of each person and period) whose person is in no HR delivery."""
    sql = f"""
        with quotas as (
            select *, row_number() over (
                partition by employee_number, period order by _delivery desc, _line_number desc
            ) as recency
            from {_raw(lake_dir, "planning", "quota")}
        ),
        people as (select distinct trim("Employee #") as employee_number from {_raw(lake_dir, "hr", "employee")})
        select _file, _line_number, employee_number, period
        from quotas
        where recency = 1
            and trim(employee_number) not in (select employee_number from people where employee_number is not null)
        order by _file, _line_number
    """
    with duckdb.connect() as con:
        return [UnknownPerson(*row) for row in con.execute(sql).fetchall()]
