"""Read ``planning/comp_plans.yaml`` (``shared/spec/commissions.md``) into typed Arrow tables with lineage.

Commission is money people are paid, so the plan file is read strictly: anything
that breaks the format or the rules of commissions.md (an unknown plan in an
assignment, bands that overlap or leave a gap, a negative rate, two overlapping
assignments of one person, ...) raises :class:`ExportError` naming the file, the
YAML line, what is wrong and what to do. Nothing is defaulted or guessed around;
only keys the format does not know are allowed, and left out of the tables.

Four tables, one row per item, each with the lineage columns of the raw lake
(``_line_number`` is the 1-based line where the item starts in the YAML):

- ``comp_plan``: one row per plan;
- ``comp_plan_tier``: one row per band, ``tier_index`` 0-based in attainment order;
- ``comp_plan_spiff``: one row per SPIFF of a plan;
- ``comp_plan_assignment``: one row per assignment of a person to a plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
from decimal import Decimal
from typing import Any

import pyarrow as pa
from yaml.nodes import Node

from ingestion.contracts import entity
from ingestion.located_yaml import MISSING, LocatedYaml, YamlMapping, is_null, line_of
from ingestion.readers import DECIMAL, LINEAGE_FIELDS, ExportError, ExportFile, lineage_arrays

PERIODS = ("month", "quarter")
MEASURES = ("bookings",)

COMP_PLAN_TABLES: dict[str, pa.Schema] = {
    "comp_plan": pa.schema(
        [
            pa.field("plan_id", pa.string()),
            pa.field("period", pa.string()),
            pa.field("measure", pa.string()),
            pa.field("ramp", pa.list_(pa.float64())),
            pa.field("cap", pa.float64()),
            pa.field("clawback_days", pa.int64()),
            pa.field("draw_amount", DECIMAL),
            pa.field("draw_recoverable", pa.bool_()),
            *LINEAGE_FIELDS,
        ]
    ),
    "comp_plan_tier": pa.schema(
        [
            pa.field("plan_id", pa.string()),
            pa.field("tier_index", pa.int64()),
            pa.field("band_from", pa.float64()),
            pa.field("band_to", pa.float64()),
            pa.field("rate", pa.float64()),
            *LINEAGE_FIELDS,
        ]
    ),
    "comp_plan_spiff": pa.schema(
        [
            pa.field("plan_id", pa.string()),
            pa.field("spiff_id", pa.string()),
            pa.field("opportunity_type", pa.string()),
            pa.field("min_amount", DECIMAL),
            pa.field("amount", DECIMAL),
            *LINEAGE_FIELDS,
        ]
    ),
    "comp_plan_assignment": pa.schema(
        [
            pa.field("employee_number", pa.string()),
            pa.field("plan_id", pa.string()),
            pa.field("start_date", pa.date32()),
            pa.field("end_date", pa.date32()),
            *LINEAGE_FIELDS,
        ]
    ),
}
"""Table name -> Arrow schema (typed columns, then the lineage columns)."""

_OPPORTUNITY_TYPES: tuple[str, ...] = tuple(entity("crm.opportunity").column("Type").domain or ())
_DIGITS = re.compile(r"^\d+$")

_PLAN_EXAMPLE = "see the example in shared/spec/commissions.md"


def empty_comp_plan_tables() -> dict[str, pa.Table]:
    """Zero-row tables with the comp-plan schemas (for the lake's contract files)."""
    return {name: schema.empty_table() for name, schema in COMP_PLAN_TABLES.items()}


def read_comp_plans(file: ExportFile, loaded_at: dt.datetime) -> tuple[str, dict[str, pa.Table]]:
    """Read and check one ``comp_plans.yaml``; return its content sha256 (hex) and the four tables."""
    try:
        content = file.path.read_bytes()
    except OSError as error:
        raise ExportError(
            f"{file.relative_path}: cannot open the file ({error.strerror}). Check that it exists and is readable."
        ) from error
    content_hash = hashlib.sha256(content).hexdigest()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise ExportError(
            f"{file.relative_path} line {line}: not valid UTF-8 ({error.reason} at byte {error.start}). "
            "Save the file as UTF-8."
        ) from error

    reader = _PlanReader(file.relative_path, text)
    rows = reader.read()

    tables = {}
    for name, schema in COMP_PLAN_TABLES.items():
        lineage = lineage_arrays(file, content_hash, loaded_at, [row["_line_number"] for row in rows[name]])
        content = {
            field.name: pa.array([row[field.name] for row in rows[name]], field.type)
            for field in schema
            if field.name not in lineage
        }
        tables[name] = pa.table({**content, **lineage}).cast(schema)
    return content_hash, tables


# --------------------------------------------------------------------------------------------------------------
# The plan format's rules, value by value (the YAML layer keeps every value's line).


class _PlanReader(LocatedYaml):
    """The rules of commissions.md for each value of the file; the YAML layer (LocatedYaml) names its line."""

    # -- the document ------------------------------------------------------------------------------------------

    def read(self) -> dict[str, list[dict[str, Any]]]:
        root = self.compose()
        if root is None:
            raise self.fail(1, "the file is empty", f"Write the plans and assignments ({_PLAN_EXAMPLE})")
        document = self.mapping(
            root, "the file", f"The file must be a mapping with 'plans' and 'assignments' ({_PLAN_EXAMPLE})"
        )
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in COMP_PLAN_TABLES}
        plan_lines: dict[str, int] = {}
        for key in ("plans", "assignments"):
            if key not in document.entries:
                raise self.fail(
                    document.line, f"no {key!r} in the file", f"Add a top-level '{key}:' list ({_PLAN_EXAMPLE})"
                )
        plans_node = document.entries["plans"][1]
        for plan_node in self.sequence(plans_node, "'plans'", f"Write 'plans:' as a list of plans ({_PLAN_EXAMPLE})"):
            self.read_plan(plan_node, rows, plan_lines)
        assignments_node = document.entries["assignments"][1]
        for assignment_node in self.sequence(
            assignments_node, "'assignments'", f"Write 'assignments:' as a list ({_PLAN_EXAMPLE})"
        ):
            rows["comp_plan_assignment"].append(self.read_assignment(assignment_node, plan_lines))
        self.check_assignment_overlaps(rows["comp_plan_assignment"])
        return rows

    def read_plan(self, node: Node, rows: dict[str, list[dict[str, Any]]], plan_lines: dict[str, int]) -> None:
        plan = self.mapping(
            node, "a plan", f"Write each plan as a mapping with id, period, tiers, ... ({_PLAN_EXAMPLE})"
        )
        id_node = self.require(plan, "id", "the plan", "Give every plan an 'id' (such as ae_2026)")
        plan_id = self.text_value(id_node, "the plan id", "Give every plan an 'id' as text (such as ae_2026)")
        if plan_id in plan_lines:
            raise self.fail(
                plan.line,
                f"plan id {plan_id!r} is used twice (first on line {plan_lines[plan_id]})",
                "Give every plan its own id",
            )
        plan_lines[plan_id] = plan.line
        label = f"plan {plan_id!r}"

        period_todo = f"Set the period of {label} to one of: {', '.join(PERIODS)}"
        period_node = self.require(plan, "period", label, period_todo)
        period = self.value(period_node, f"the period of {label}")
        if period not in PERIODS:
            raise self.fail(line_of(period_node), f"the period of {label} is {period_node.value!r}", period_todo)

        measure_todo = f"Set the measure of {label} to {' or '.join(MEASURES)} (the only measure supported)"
        measure_node = self.require(plan, "measure", label, measure_todo)
        measure = self.value(measure_node, f"the measure of {label}")
        if measure not in MEASURES:
            raise self.fail(line_of(measure_node), f"the measure of {label} is {measure_node.value!r}", measure_todo)

        ramp: list[float] = []
        ramp_node = self.get(plan, "ramp")
        ramp_todo = (
            f"Write the ramp of {label} as a list of quota factors between 0 and 1 for tenure months "
            "1..n, such as [0.0, 0.25, 0.5, 0.75], or leave it out"
        )
        if ramp_node is not MISSING and not is_null(ramp_node):
            for factor_node in self.sequence(ramp_node, f"the ramp of {label}", ramp_todo):
                factor = self.number(factor_node, f"a ramp factor of {label}", ramp_todo)
                if not 0 <= factor <= 1:
                    raise self.fail(
                        line_of(factor_node),
                        f"the ramp factor {factor_node.value} of {label} is not between 0 and 1",
                        ramp_todo,
                    )
                ramp.append(factor)

        rows["comp_plan_tier"].extend(self.read_tiers(plan, plan_id, label))

        cap = None
        cap_node = self.get(plan, "cap")
        cap_todo = f"Set the cap of {label} to a positive multiple of quota (such as 3.0) or null for no cap"
        if cap_node is not MISSING and not is_null(cap_node):
            cap = self.number(cap_node, f"the cap of {label}", cap_todo)
            if cap <= 0:
                raise self.fail(line_of(cap_node), f"the cap of {label} is {cap_node.value}, not positive", cap_todo)

        clawback_days = None
        clawback_node = self.get(plan, "clawback_days")
        if clawback_node is not MISSING and not is_null(clawback_node):
            value = self.value(clawback_node, f"clawback_days of {label}")
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise self.fail(
                    line_of(clawback_node),
                    f"clawback_days of {label} is {clawback_node.value!r}, not a whole number of days >= 0",
                    f"Set clawback_days of {label} to a whole number of days (such as 90) or null for no clawback",
                )
            clawback_days = value

        draw_amount, draw_recoverable = self.read_draw(plan, label)
        rows["comp_plan_spiff"].extend(self.read_spiffs(plan, plan_id, label))
        rows["comp_plan"].append(
            {
                "plan_id": plan_id,
                "period": period,
                "measure": measure,
                "ramp": ramp,
                "cap": cap,
                "clawback_days": clawback_days,
                "draw_amount": draw_amount,
                "draw_recoverable": draw_recoverable,
                "_line_number": plan.line,
            }
        )

    def read_tiers(self, plan: YamlMapping, plan_id: str, label: str) -> list[dict[str, Any]]:
        tiers_todo = (
            f"Give {label} its tiers: marginal bands of attainment such as "
            "{from: 0.0, to: 1.0, rate: 0.10} then {from: 1.0, to: null, rate: 0.15}"
        )
        tiers_node = self.require(plan, "tiers", label, tiers_todo)
        tier_nodes = [] if is_null(tiers_node) else self.sequence(tiers_node, f"the tiers of {label}", tiers_todo)
        if not tier_nodes:
            raise self.fail(line_of(tiers_node), f"{label} has no tiers", tiers_todo)
        band_todo = f"Write every tier of {label} as {{from: <number>, to: <number or null>, rate: <number>}}"
        bands = []
        for tier_node in tier_nodes:
            tier = self.mapping(tier_node, f"a tier of {label}", band_todo)
            band_from = self.number(
                self.require(tier, "from", f"a tier of {label}", band_todo), f"'from' of a tier of {label}", band_todo
            )
            to_node = self.require(tier, "to", f"a tier of {label}", band_todo + " (to: null for no upper end)")
            band_to = (
                None
                if is_null(to_node)
                else self.number(to_node, f"'to' of a tier of {label}", band_todo + " (to: null for no upper end)")
            )
            rate_node = self.require(tier, "rate", f"a tier of {label}", band_todo)
            rate = self.number(rate_node, f"the rate of a tier of {label}", band_todo)
            if rate < 0:
                raise self.fail(
                    line_of(rate_node),
                    f"the tier of {label} from {band_from:g} has a negative rate ({rate_node.value})",
                    "Rates are fractions of credit >= 0 (0.10 is 10 %); correct it",
                )
            if band_to is not None and band_to <= band_from:
                raise self.fail(
                    tier.line,
                    f"the tier of {label} from {band_from:g} to {band_to:g} does not end above where it starts",
                    "Each tier needs to > from (or to: null for no upper end)",
                )
            bands.append((band_from, band_to, rate, tier.line))

        # Sorted by 'from' (the order written does not matter), the bands must tile [0, last 'to').
        bands.sort(key=lambda band: band[0])
        bands_todo = (
            f"The tiers of {label} must cover attainment from 0 without gaps or overlaps: the first "
            "starts at 0, each starts where the previous ends, and only the last may have to: null"
        )
        if bands[0][0] != 0:
            raise self.fail(bands[0][3], f"the lowest tier of {label} starts at {bands[0][0]:g}, not at 0", bands_todo)
        for previous, band in itertools.pairwise(bands):
            if previous[1] is None:
                raise self.fail(
                    previous[3],
                    f"the tier of {label} from {previous[0]:g} has no upper end (to: null) "
                    f"but the tier from {band[0]:g} (line {band[3]}) comes after it",
                    bands_todo,
                )
            if band[0] < previous[1]:
                raise self.fail(
                    band[3],
                    f"the tier of {label} from {band[0]:g} overlaps the tier from "
                    f"{previous[0]:g} to {previous[1]:g} (line {previous[3]})",
                    bands_todo,
                )
            if band[0] > previous[1]:
                raise self.fail(
                    band[3],
                    f"the tiers of {label} leave a gap between {previous[1]:g} (line {previous[3]}) and {band[0]:g}",
                    bands_todo,
                )
        return [
            {
                "plan_id": plan_id,
                "tier_index": index,
                "band_from": band_from,
                "band_to": band_to,
                "rate": rate,
                "_line_number": line,
            }
            for index, (band_from, band_to, rate, line) in enumerate(bands)
        ]

    def read_draw(self, plan: YamlMapping, label: str) -> tuple[Decimal | None, bool | None]:
        draw_node = self.get(plan, "draw")
        if draw_node is MISSING or is_null(draw_node):
            return None, None
        draw_todo = (
            f"Write the draw of {label} as {{amount: <amount per period>, recoverable: true or false}}, "
            "or null for no draw"
        )
        draw = self.mapping(draw_node, f"the draw of {label}", draw_todo)
        amount = self.amount(
            self.require(draw, "amount", f"the draw of {label}", draw_todo), f"the draw amount of {label}", draw_todo
        )
        recoverable_node = self.require(draw, "recoverable", f"the draw of {label}", draw_todo)
        recoverable = self.value(recoverable_node, f"'recoverable' of the draw of {label}")
        if not isinstance(recoverable, bool):
            raise self.fail(
                line_of(recoverable_node),
                f"'recoverable' of the draw of {label} is {recoverable_node.value!r}, not true or false",
                draw_todo,
            )
        return amount, recoverable

    def read_spiffs(self, plan: YamlMapping, plan_id: str, label: str) -> list[dict[str, Any]]:
        spiffs_node = self.get(plan, "spiffs")
        if spiffs_node is MISSING or is_null(spiffs_node):
            return []
        spiff_todo = (
            f"Write every SPIFF of {label} as {{id: <id>, opportunity_type: <type or null>, "
            "min_amount: <amount or null>, amount: <amount paid>}}"
        )
        spiffs, seen = [], {}
        for spiff_node in self.sequence(spiffs_node, f"the spiffs of {label}", spiff_todo):
            spiff = self.mapping(spiff_node, f"a SPIFF of {label}", spiff_todo)
            spiff_id = self.text_value(
                self.require(spiff, "id", f"a SPIFF of {label}", spiff_todo), f"the SPIFF id in {label}", spiff_todo
            )
            if spiff_id in seen:
                raise self.fail(
                    spiff.line,
                    f"SPIFF id {spiff_id!r} is used twice in {label} (first on line {seen[spiff_id]})",
                    "Give every SPIFF of a plan its own id",
                )
            seen[spiff_id] = spiff.line
            what = f"SPIFF {spiff_id!r} of {label}"
            amount = self.amount(
                self.require(spiff, "amount", what, spiff_todo),
                f"the amount of {what}",
                f"Set the amount of {what} to the fixed amount paid (>= 0)",
            )
            opportunity_type = None
            type_node = self.get(spiff, "opportunity_type")
            if type_node is not MISSING and not is_null(type_node):
                type_todo = (
                    f"Set opportunity_type of {what} to one of the CRM opportunity types "
                    f"({', '.join(_OPPORTUNITY_TYPES)}) or null for any type"
                )
                opportunity_type = self.text_value(type_node, f"opportunity_type of {what}", type_todo)
                if _OPPORTUNITY_TYPES and opportunity_type not in _OPPORTUNITY_TYPES:
                    raise self.fail(
                        line_of(type_node),
                        f"opportunity_type of {what} is {opportunity_type!r}, which no opportunity can have",
                        type_todo,
                    )
            min_amount = None
            min_node = self.get(spiff, "min_amount")
            if min_node is not MISSING and not is_null(min_node):
                min_amount = self.amount(
                    min_node,
                    f"min_amount of {what}",
                    f"Set min_amount of {what} to an amount >= 0, or null for no minimum",
                )
            spiffs.append(
                {
                    "plan_id": plan_id,
                    "spiff_id": spiff_id,
                    "opportunity_type": opportunity_type,
                    "min_amount": min_amount,
                    "amount": amount,
                    "_line_number": spiff.line,
                }
            )
        return spiffs

    def read_assignment(self, node: Node, plan_lines: dict[str, int]) -> dict[str, Any]:
        todo = (
            'Write every assignment as {employee_number: "1042", plan: <plan id>, start: YYYY-MM-DD, '
            "end: YYYY-MM-DD or null}"
        )
        assignment = self.mapping(node, "an assignment", todo)
        employee_node = self.require(assignment, "employee_number", "the assignment", todo)
        employee_number = self.employee_number(employee_node)
        what = f"the assignment of employee {employee_number}"
        plan_node = self.require(assignment, "plan", what, todo)
        plan_id = self.text_value(plan_node, f"the plan of {what}", todo)
        if plan_id not in plan_lines:
            known = ", ".join(sorted(plan_lines)) or "none"
            raise self.fail(
                line_of(plan_node),
                f"{what} names plan {plan_id!r}, which is not in 'plans' (plans: {known})",
                "Correct the plan id or add the plan to 'plans'",
            )
        start = self.date_value(self.require(assignment, "start", what, todo), f"the start of {what}", todo)
        end = None
        end_node = self.get(assignment, "end")
        if end_node is not MISSING and not is_null(end_node):
            end = self.date_value(end_node, f"the end of {what}", todo.replace("null}", "null (open-ended)}"))
            if end < start:
                raise self.fail(
                    line_of(end_node),
                    f"{what} ends on {end} before it starts on {start}",
                    "Correct the dates (both are inclusive; end: null for open-ended)",
                )
        return {
            "employee_number": employee_number,
            "plan_id": plan_id,
            "start_date": start,
            "end_date": end,
            "_line_number": assignment.line,
        }

    def employee_number(self, node: Node) -> str:
        todo = 'Write the employee number as in HR (Employee #), quoted, such as employee_number: "1042"'
        value = self.value(node, "employee_number")
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool) and _DIGITS.match(node.value):
            # An unquoted number: take the digits as written (YAML would read 0042 as octal 34).
            return node.value
        shown = "empty" if value is None or value == "" else f"{node.value!r}, not an employee number"
        raise self.fail(line_of(node), f"employee_number is {shown}", todo)

    def check_assignment_overlaps(self, assignments: list[dict[str, Any]]) -> None:
        """One person holds at most one plan on any day (dates inclusive, end null = open-ended)."""
        by_person: dict[str, list[dict[str, Any]]] = {}
        for assignment in assignments:
            by_person.setdefault(assignment["employee_number"], []).append(assignment)
        for employee_number, held in by_person.items():
            held.sort(key=lambda a: (a["start_date"], a["_line_number"]))
            latest = held[0]  # the assignment reaching furthest so far
            for assignment in held[1:]:
                if latest["end_date"] is None or assignment["start_date"] <= latest["end_date"]:
                    latest_end = "open-ended" if latest["end_date"] is None else f"to {latest['end_date']}"
                    raise self.fail(
                        assignment["_line_number"],
                        f"the assignment of employee {employee_number} to {assignment['plan_id']} from "
                        f"{assignment['start_date']} overlaps the one to {latest['plan_id']} from "
                        f"{latest['start_date']} {latest_end} (line {latest['_line_number']})",
                        "A person holds one plan at a time: end the earlier assignment the day before the next "
                        "one starts",
                    )
                if assignment["end_date"] is None or assignment["end_date"] > latest["end_date"]:
                    latest = assignment
