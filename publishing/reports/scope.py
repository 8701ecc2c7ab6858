"""Who may see what: the sales reporting lines, from the published ``dim_sales_reps``.

Scope is security. A manager's report covers their whole reporting line at any
depth (HR ``Supervisor EID``) and nothing else; a statement covers one person;
the company report goes to the head of sales, the top of the hierarchy.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Person:
    employee_number: str
    name: str
    title: str | None
    manager_employee_number: str | None
    hire_date: dt.date | None
    termination_date: dt.date | None
    is_active: bool


class Hierarchy:
    """The people in sales and their reporting lines."""

    def __init__(self, people: list[Person]):
        self.people = {person.employee_number: person for person in people}
        self.direct_reports: dict[str, list[str]] = defaultdict(list)
        for person in people:
            if person.manager_employee_number in self.people:
                self.direct_reports[person.manager_employee_number].append(person.employee_number)
        for reports in self.direct_reports.values():
            reports.sort(key=lambda number: (self.people[number].name, number))

    @cached_property
    def managers(self) -> list[str]:
        """Everyone with direct reports in sales, in name order."""
        return sorted(self.direct_reports, key=lambda number: (self.people[number].name, number))

    @cached_property
    def roots(self) -> list[str]:
        """People whose manager is not in sales (or who have none): the tops of the hierarchy."""
        return sorted(
            (number for number, person in self.people.items() if person.manager_employee_number not in self.people),
            key=lambda number: (self.people[number].name, number),
        )

    def line_below(self, manager: str) -> list[tuple[str, int]]:
        """Everyone under ``manager`` at any depth, with their depth (1 = direct report), depth-first.

        A cycle in HR's Supervisor EID cannot loop: each person is visited once.
        """
        seen = {manager}
        line: list[tuple[str, int]] = []

        def walk(number: str, depth: int) -> None:
            for report in self.direct_reports.get(number, []):
                if report not in seen:
                    seen.add(report)
                    line.append((report, depth))
                    walk(report, depth + 1)

        walk(manager, 1)
        return line

    def head_of_sales(self, configured: str | None) -> str | None:
        """The company report's recipient: the setting, else the single top of the hierarchy with reports.

        The company report holds everyone's pay, so only a top of the hierarchy
        (nobody in sales above them) may receive it.
        """
        if configured:
            if configured not in self.people:
                raise ValueError(
                    f"SALESOPS_HEAD_OF_SALES={configured}: no person in sales (marts.dim_sales_reps) has that "
                    "employee number; set it to the head of sales' HR Employee #."
                )
            if configured not in self.roots:
                boss = self.people[configured].manager_employee_number
                raise ValueError(
                    f"SALESOPS_HEAD_OF_SALES={configured}: {self.people[configured].name} reports to {boss} in HR, "
                    "and the company report shows everyone's pay; name the top of the sales hierarchy "
                    f"({', '.join(self.roots)})."
                )
            return configured
        tops = [number for number in self.roots if number in self.direct_reports]
        return tops[0] if len(tops) == 1 else None
