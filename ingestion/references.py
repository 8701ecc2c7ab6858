"""Checks across rows and inputs: planning rows must name people HR knows; HR's reporting line and work
emails must each lead to one person (reports are scoped by the first and sent to the second)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.lake import RawLake
from salesops.sql import string_literal


@dataclass(frozen=True)
class UnknownPerson:
    file: str
    line: int
    employee_number: str
    period: str

    def describe(self) -> str:
        return f"{self.file} line {self.line}: employee_number {self.employee_number!r} ({self.period})"


def _raw(lake_dir: Path, source: str, name: str) -> str:
    glob = string_literal(RawLake(lake_dir).table_glob(source, name))
    return f"read_parquet({glob}, union_by_name = true, hive_partitioning = false)"


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


@dataclass(frozen=True)
class PeopleProblem:
    """A cycle in HR's reporting line, or one work email on two active people."""

    kind: str
    detail: str

    def describe(self) -> str:
        return f"{self.kind}: {self.detail}"


def hr_people_problems(lake_dir: Path) -> list[PeopleProblem]:
    """Among HR's current records (each person's latest delivery): Supervisor EID loops, and work emails
    shared by two active people. Either would show or send one person's report and pay to another."""
    sql = f"""
        with latest as (
            select *, row_number() over (
                partition by trim("Employee #") order by _delivery desc, _line_number desc
            ) as recency
            from {_raw(lake_dir, "hr", "employee")}
        )
        select trim("Employee #"), nullif(trim("Supervisor EID"), ''), lower(trim("Work Email")),
            coalesce("Employment Status", '') <> 'Terminated'
                and ("Termination Date" is null or "Termination Date" > cast(max(_delivery) over () as date)),
            _file, _line_number
        from latest
        where recency = 1 and "Employee #" is not null
        order by 1
    """
    with duckdb.connect() as con:
        rows = con.execute(sql).fetchall()
    where = {number: f"{file} line {line}" for number, _, _, _, file, line in rows}
    supervisor = {number: boss for number, boss, *_ in rows}
    problems, reported = [], set()
    for start in supervisor:
        chain, person = [], start
        while person in supervisor and person not in chain:
            chain.append(person)
            person = supervisor[person]
        if person in chain and person not in reported:
            loop = chain[chain.index(person) :]
            reported.update(loop)
            problems.append(
                PeopleProblem(
                    "Supervisor EID loop",
                    " → ".join([*loop, person]) + " (" + "; ".join(where[number] for number in loop) + ")",
                )
            )
    by_email: dict[str, list[str]] = {}
    for number, _, email, active, _, _ in rows:
        if email and active:
            by_email.setdefault(email, []).append(number)
    for email, numbers in sorted(by_email.items()):
        if len(numbers) > 1:
            problems.append(
                PeopleProblem(
                    "one work email on several active people",
                    f"{email!r} on " + ", ".join(f"{number} ({where[number]})" for number in numbers),
                )
            )
    return problems


@dataclass(frozen=True)
class Suspicious:
    """Records that are legal but probably wrong: how many, and a few of them by file and line."""

    what: str
    count: int
    samples: list[str]

    def describe(self) -> str:
        return f"{self.count} {self.what} (e.g. {'; '.join(self.samples)})"


def _current(lake_dir: Path, source: str, name: str, deleted_flag: bool = True) -> str:
    """Each record's latest delivery, deletions (IsDeleted) left out."""
    live = 'where recency = 1 and coalesce("IsDeleted", false) = false' if deleted_flag else "where recency = 1"
    return f"""(
        select * from (
            select *, row_number() over (partition by "Id" order by _delivery desc, _line_number desc) as recency
            from {_raw(lake_dir, source, name)}
        ) {live}
    )"""


SUSPICIOUS_SAMPLES = 3


def suspicious_crm_records(lake_dir: Path) -> list[Suspicious]:
    """CRM references that lead nowhere, and deals closing before they were created."""
    opportunities = _current(lake_dir, "crm", "opportunity")
    queries = {
        "opportunities name an account that no Account export has": f"""
            select _file, _line_number, "AccountId" from {opportunities}
            where "AccountId" is not null
                and "AccountId" not in (select "Id" from {_current(lake_dir, "crm", "account")})""",
        "opportunities are owned by a user that no User export has (credited to no one)": f"""
            select _file, _line_number, "OwnerId" from {opportunities}
            where "OwnerId" is not null
                and "OwnerId" not in (select "Id" from {_current(lake_dir, "crm", "user", deleted_flag=False)})""",
        "opportunity splits point at an opportunity that no Opportunity export has": f"""
            select _file, _line_number, "OpportunityId" from {_current(lake_dir, "crm", "opportunity_split")}
            where "OpportunityId" not in (select "Id" from {opportunities})""",
        "opportunities close before they were created": f"""
            select _file, _line_number,
                cast("CloseDate" as varchar) || ' < ' || cast(cast("CreatedDate" as date) as varchar)
            from {opportunities}
            where "CloseDate" < cast("CreatedDate" as date)""",
    }
    found = []
    with duckdb.connect() as con:
        for what, sql in queries.items():
            rows = con.execute(f"select * from ({sql}) order by 1, 2").fetchall()
            if rows:
                samples = [f"{file} line {line}: {value!r}" for file, line, value in rows[:SUSPICIOUS_SAMPLES]]
                found.append(Suspicious(what, len(rows), samples))
    return found
