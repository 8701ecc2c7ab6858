"""Reading planning/comp_plans.yaml: the demo file, typed rows with lineage, and one error per rule.

Every YAML below starts on line 1 of the file written, so the line numbers the
errors must name can be read off the test.
"""

import datetime as dt
import hashlib
import textwrap
from decimal import Decimal

import pyarrow as pa
import pytest
import yaml

from demo_exports.generator import generate_exports
from ingestion.comp_plans import (
    COMP_PLAN_TABLES,
    empty_comp_plan_tables,
    read_comp_plans,
)
from ingestion.readers import ExportError, ExportFile
from tests.conftest import write

LOADED_AT = dt.datetime(2026, 11, 27, 6, 0, 0)
DELIVERY = "2026-11-25"
RELATIVE = f"planning/{DELIVERY}/comp_plans.yaml"


def plan_file(tmp_path, text: str, raw: bytes | None = None) -> ExportFile:
    path = tmp_path / "planning" / DELIVERY / "comp_plans.yaml"
    if raw is None:
        write(path, textwrap.dedent(text))
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
    return ExportFile("planning", DELIVERY, path, RELATIVE)


def read(tmp_path, text: str) -> dict[str, list[dict]]:
    _, tables = read_comp_plans(plan_file(tmp_path, text), LOADED_AT)
    return {name: table.to_pylist() for name, table in tables.items()}


def error(tmp_path, text: str, raw: bytes | None = None) -> str:
    with pytest.raises(ExportError) as caught:
        read_comp_plans(plan_file(tmp_path, text, raw), LOADED_AT)
    return str(caught.value)


def assert_error(tmp_path, text: str, line: int, *fragments: str) -> None:
    message = error(tmp_path, text)
    assert message.startswith(f"{RELATIVE} line {line}: "), message
    for fragment in fragments:
        assert fragment in message, message


# ---------------------------------------------------------------------------------------------------------------
# Reading


@pytest.fixture(scope="module")
def demo_yaml(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    generate_exports(out, scale=0.2, seed=7, as_of=dt.date(2026, 11, 26))
    [path] = sorted(out.glob("planning/*/comp_plans.yaml"))
    return out, path


def test_demo_yaml_reads_with_the_expected_rows(demo_yaml):
    out, path = demo_yaml
    file = ExportFile("planning", path.parent.name, path, path.relative_to(out).as_posix())
    content_hash, tables = read_comp_plans(file, LOADED_AT)

    text = path.read_text(encoding="utf-8")
    plain = yaml.safe_load(text)
    assert content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert set(tables) == set(COMP_PLAN_TABLES)
    for name, table in tables.items():
        assert table.schema == COMP_PLAN_TABLES[name]
    assert tables["comp_plan"].num_rows == len(plain["plans"])
    assert tables["comp_plan_tier"].num_rows == sum(len(p["tiers"]) for p in plain["plans"])
    assert tables["comp_plan_spiff"].num_rows == sum(len(p.get("spiffs") or []) for p in plain["plans"])
    assert tables["comp_plan_assignment"].num_rows == len(plain["assignments"])
    assert tables["comp_plan_assignment"].num_rows > 0 and tables["comp_plan_spiff"].num_rows > 0

    # Lineage: each plan row points at the line of its "- id:".
    lines = text.splitlines()
    plans = tables["comp_plan"].to_pylist()
    for plan in plans:
        assert lines[plan["_line_number"] - 1].strip() == f"- id: {plan['plan_id']}"
        assert plan["_file"] == file.relative_path and plan["_delivery"] == path.parent.name
        assert plan["_content_hash"] == content_hash and plan["_loaded_at"] == LOADED_AT
    assignments = tables["comp_plan_assignment"].to_pylist()
    assert [a["employee_number"] for a in assignments] == [str(a["employee_number"]) for a in plain["assignments"]]
    assert [a["start_date"] for a in assignments] == [a["start"] for a in plain["assignments"]]
    for assignment in assignments:
        assert f'employee_number: "{assignment["employee_number"]}"' in lines[assignment["_line_number"] - 1]


SPEC_EXAMPLE = """\
plans:
  - id: ae_2026
    period: quarter              # month | quarter
    measure: bookings
    ramp: [0.0, 0.25, 0.5, 0.75]
    tiers:                       # written out of order: tier_index follows attainment
      - {from: 1.5, to: null, rate: 0.20}
      - {from: 0.0, to: 1.0, rate: 0.10}
      - {from: 1.0, to: 1.5, rate: 0.15}
    cap: 3.0
    clawback_days: 90
    draw: {amount: 6000.5, recoverable: true}
    owner: Sales Ops             # unknown keys are allowed and left out
    spiffs:
      - {id: multi_year, opportunity_type: New Business, min_amount: 100000, amount: 1000}
      - {id: any_deal, amount: 50.25}
  - id: sdr_2026
    period: month
    measure: bookings
    tiers: [{from: 0, to: null, rate: 0.08}]
assignments:
  - {employee_number: "1042", plan: ae_2026, start: 2026-01-01, end: 2026-03-31}
  - {employee_number: 1042, plan: sdr_2026, start: 2026-04-01, end: null}
  - {employee_number: 0042, plan: sdr_2026, start: "2026-02-01"}
  - {employee_number: " 7 ", plan: sdr_2026, start: 2026-02-01, region: EMEA}
"""


def test_spec_example_typed_rows(tmp_path):
    rows = read(tmp_path, SPEC_EXAMPLE)
    ae, sdr = rows["comp_plan"]
    assert {k: v for k, v in ae.items() if not k.startswith("_")} == {
        "plan_id": "ae_2026",
        "period": "quarter",
        "measure": "bookings",
        "ramp": [0.0, 0.25, 0.5, 0.75],
        "cap": 3.0,
        "clawback_days": 90,
        "draw_amount": Decimal("6000.5"),
        "draw_recoverable": True,
    }
    assert (ae["_line_number"], sdr["_line_number"]) == (2, 17)
    # Absent optional keys are nulls (ramp: an empty list), never defaults.
    assert (sdr["ramp"], sdr["cap"], sdr["clawback_days"], sdr["draw_amount"], sdr["draw_recoverable"]) == (
        [],
        None,
        None,
        None,
        None,
    )
    assert [
        (t["plan_id"], t["tier_index"], t["band_from"], t["band_to"], t["rate"], t["_line_number"])
        for t in rows["comp_plan_tier"]
    ] == [
        ("ae_2026", 0, 0.0, 1.0, 0.10, 8),
        ("ae_2026", 1, 1.0, 1.5, 0.15, 9),
        ("ae_2026", 2, 1.5, None, 0.20, 7),
        ("sdr_2026", 0, 0.0, None, 0.08, 20),
    ]
    assert [
        (s["spiff_id"], s["opportunity_type"], s["min_amount"], s["amount"], s["_line_number"])
        for s in rows["comp_plan_spiff"]
    ] == [
        ("multi_year", "New Business", Decimal("100000"), Decimal("1000"), 15),
        ("any_deal", None, None, Decimal("50.25"), 16),
    ]
    assert [
        (a["employee_number"], a["plan_id"], a["start_date"], a["end_date"], a["_line_number"])
        for a in rows["comp_plan_assignment"]
    ] == [
        ("1042", "ae_2026", dt.date(2026, 1, 1), dt.date(2026, 3, 31), 22),
        ("1042", "sdr_2026", dt.date(2026, 4, 1), None, 23),  # an unquoted number is the same person
        ("0042", "sdr_2026", dt.date(2026, 2, 1), None, 24),  # digits as written, not YAML octal 34
        ("7", "sdr_2026", dt.date(2026, 2, 1), None, 25),  # trimmed
    ]


def test_yaml_anchors_and_merge_keys(tmp_path):
    rows = read(
        tmp_path,
        """\
        base: &base
          period: quarter
          measure: bookings
          tiers: [{from: 0, to: null, rate: 0.1}]
        plans:
          - {<<: *base, id: a}
          - <<: *base
            id: b
            period: month
        assignments: []
        """,
    )
    assert [(p["plan_id"], p["period"]) for p in rows["comp_plan"]] == [("a", "quarter"), ("b", "month")]
    assert [t["_line_number"] for t in rows["comp_plan_tier"]] == [4, 4]


def test_empty_tables_have_the_schemas():
    tables = empty_comp_plan_tables()
    assert set(tables) == {"comp_plan", "comp_plan_tier", "comp_plan_spiff", "comp_plan_assignment"}
    for name, table in tables.items():
        assert table.num_rows == 0 and table.schema == COMP_PLAN_TABLES[name]
        assert table.schema.names[-5:] == ["_delivery", "_file", "_line_number", "_content_hash", "_loaded_at"]
    assert COMP_PLAN_TABLES["comp_plan_spiff"].field("amount").type == pa.decimal128(20, 4)
    assert COMP_PLAN_TABLES["comp_plan_assignment"].field("start_date").type == pa.date32()


# ---------------------------------------------------------------------------------------------------------------
# Structure


def test_unparseable_yaml_names_the_line(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - id: a
            tiers: [{from: 0, to: null, rate: 0.1}
        assignments: []
        """,
        4,
        "not readable as YAML",
    )


def test_not_a_mapping(tmp_path):
    assert_error(
        tmp_path,
        """\
        - id: a
          period: month
        """,
        1,
        "must be a mapping",
    )


def test_empty_file(tmp_path):
    assert_error(tmp_path, "# nothing yet\n", 1, "empty")


def test_not_utf8(tmp_path):
    message = error(tmp_path, "", raw=b"plans: []\nassignments: []\n# caf\xe9\n")
    assert message.startswith(f"{RELATIVE} line 3: not valid UTF-8"), message


@pytest.mark.parametrize("missing", ["plans", "assignments"])
def test_missing_plans_or_assignments(tmp_path, missing):
    text = "# comp plans\nplans: []\nassignments: []\n".replace(f"{missing}: []\n", "")
    assert_error(tmp_path, text, 2, f"no '{missing}'")


def test_plans_not_a_list(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          id: a
        assignments: []
        """,
        2,
        "'plans' must be a list",
    )


def test_plan_without_id(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - {id: a, period: month, measure: bookings, tiers: [{from: 0, to: null, rate: 0.1}]}
          - period: month
            measure: bookings
        assignments: []
        """,
        3,
        "has no 'id'",
    )


def test_duplicate_plan_id(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - {id: a, period: month, measure: bookings, tiers: [{from: 0, to: null, rate: 0.1}]}
          - {id: b, period: month, measure: bookings, tiers: [{from: 0, to: null, rate: 0.1}]}
          - {id: a, period: quarter, measure: bookings, tiers: [{from: 0, to: null, rate: 0.1}]}
        assignments: []
        """,
        4,
        "'a' is used twice (first on line 2)",
    )


def test_duplicate_key_in_a_mapping(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - id: a
            period: month
            measure: bookings
            period: quarter
        assignments: []
        """,
        5,
        "'period'",
        "appears twice (also on line 3)",
    )


@pytest.mark.parametrize("period", ["week", "Quarter", "null"])
def test_period_not_month_or_quarter(tmp_path, period):
    assert_error(
        tmp_path,
        f"""\
        plans:
          - id: a
            period: {period}
            measure: bookings
            tiers: [{{from: 0, to: null, rate: 0.1}}]
        assignments: []
        """,
        3,
        "the period of plan 'a'",
        "month, quarter",
    )


def test_period_missing(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - id: a
            measure: bookings
            tiers: [{from: 0, to: null, rate: 0.1}]
        assignments: []
        """,
        2,
        "has no 'period'",
    )


def test_measure_not_bookings(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - id: a
            period: month
            measure: revenue
            tiers: [{from: 0, to: null, rate: 0.1}]
        assignments: []
        """,
        4,
        "the measure of plan 'a' is 'revenue'",
    )


@pytest.mark.parametrize(
    "ramp, fragment",
    [
        ("0.5", "must be a list"),
        ("[0.0, 1.5]", "not between 0 and 1"),
        ("[0.0, -0.1]", "not between 0 and 1"),
        ("[0.0, half]", "not a number"),
        ('[0.0, "0.5"]', "not a number"),
    ],
)
def test_ramp_not_a_list_of_factors(tmp_path, ramp, fragment):
    assert_error(
        tmp_path,
        f"""\
        plans:
          - id: a
            period: month
            measure: bookings
            ramp: {ramp}
            tiers: [{{from: 0, to: null, rate: 0.1}}]
        assignments: []
        """,
        5,
        fragment,
    )


@pytest.mark.parametrize("tiers", ["[]", "null"])
def test_tiers_empty(tmp_path, tiers):
    assert_error(
        tmp_path,
        f"""\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers: {tiers}
        assignments: []
        """,
        5,
        "plan 'a' has no tiers",
    )


def test_tiers_missing(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - id: a
            period: month
            measure: bookings
        assignments: []
        """,
        2,
        "has no 'tiers'",
    )


@pytest.mark.parametrize(
    "tier, line, fragment",
    [
        ("{from: zero, to: null, rate: 0.1}", 6, "'from' of a tier of plan 'a' is 'zero', not a number"),
        ("{from: 0, to: one, rate: 0.1}", 6, "'to' of a tier of plan 'a' is 'one', not a number"),
        ("{from: 0, to: null, rate: 10%}", 6, "the rate of a tier of plan 'a' is '10%', not a number"),
        ("{from: 0, to: null, rate: null}", 6, "is empty, not a number"),
        ("{from: 0, rate: 0.1}", 6, "has no 'to'"),
        ("{to: null, rate: 0.1}", 6, "has no 'from'"),
        ("{from: 0, to: null}", 6, "has no 'rate'"),
    ],
)
def test_tier_values_not_numbers(tmp_path, tier, line, fragment):
    assert_error(
        tmp_path,
        f"""\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers:
              - {tier}
        assignments: []
        """,
        line,
        fragment,
    )


@pytest.mark.parametrize("cap", ["0", "-1.5", "unlimited", "true"])
def test_cap_not_a_positive_number(tmp_path, cap):
    assert_error(
        tmp_path,
        f"""\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers: [{{from: 0, to: null, rate: 0.1}}]
            cap: {cap}
        assignments: []
        """,
        6,
        "the cap of plan 'a'",
    )


@pytest.mark.parametrize("days", ["-1", "90.0", "ninety", "false"])
def test_clawback_days_not_a_non_negative_integer(tmp_path, days):
    assert_error(
        tmp_path,
        f"""\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers: [{{from: 0, to: null, rate: 0.1}}]
            clawback_days: {days}
        assignments: []
        """,
        6,
        "clawback_days of plan 'a'",
        "not a whole number of days >= 0",
    )


@pytest.mark.parametrize(
    "draw, fragment",
    [
        ("6000", "must be a mapping"),
        ("{amount: -100, recoverable: true}", "the draw amount of plan 'a' is negative"),
        ("{amount: 100.12345, recoverable: true}", "more than 4 decimal places"),
        ("{amount: lots, recoverable: true}", "not a number"),
        ("{amount: 100, recoverable: yes please}", "not true or false"),
        ("{recoverable: true}", "has no 'amount'"),
        ("{amount: 100}", "has no 'recoverable'"),
    ],
)
def test_draw_not_null_or_amount_and_recoverable(tmp_path, draw, fragment):
    assert_error(
        tmp_path,
        f"""\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers: [{{from: 0, to: null, rate: 0.1}}]
            draw: {draw}
        assignments: []
        """,
        6,
        fragment,
    )


@pytest.mark.parametrize(
    "spiff, fragment",
    [
        ("{opportunity_type: Renewal, amount: 100}", "a SPIFF of plan 'a' has no 'id'"),
        ("{id: s1, opportunity_type: Renewal}", "SPIFF 's1' of plan 'a' has no 'amount'"),
        ("{id: s1, amount: -100}", "the amount of SPIFF 's1' of plan 'a' is negative"),
        ("{id: s1, amount: 100, min_amount: -1}", "min_amount of SPIFF 's1' of plan 'a' is negative"),
        ("{id: s1, amount: 100, opportunity_type: New Buisness}", "'New Buisness', which no opportunity can have"),
    ],
)
def test_spiff_rules(tmp_path, spiff, fragment):
    assert_error(
        tmp_path,
        f"""\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers: [{{from: 0, to: null, rate: 0.1}}]
            spiffs:
              - {{id: s0, amount: 10}}
              - {spiff}
        assignments: []
        """,
        8,
        fragment,
    )


def test_duplicate_spiff_id(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers: [{from: 0, to: null, rate: 0.1}]
            spiffs:
              - {id: s1, amount: 10}
              - {id: s1, amount: 20}
        assignments: []
        """,
        8,
        "'s1' is used twice in plan 'a' (first on line 7)",
    )


PLAN = "  - {id: a, period: month, measure: bookings, tiers: [{from: 0, to: null, rate: 0.1}]}\n"


@pytest.mark.parametrize(
    "assignment, fragment",
    [
        ("{plan: a, start: 2026-01-01}", "the assignment has no 'employee_number'"),
        ('{employee_number: "", plan: a, start: 2026-01-01}', "employee_number is empty"),
        ("{employee_number: 1042.5, plan: a, start: 2026-01-01}", "'1042.5', not an employee number"),
        ('{employee_number: "1042", start: 2026-01-01}', "the assignment of employee 1042 has no 'plan'"),
        ('{employee_number: "1042", plan: a}', "the assignment of employee 1042 has no 'start'"),
    ],
)
def test_assignment_without_employee_plan_or_start(tmp_path, assignment, fragment):
    assert_error(tmp_path, "plans:\n" + PLAN + "assignments:\n" + f"  - {assignment}\n", 4, fragment)


@pytest.mark.parametrize(
    "dates, fragment",
    [
        ('start: "01/02/2026"', "the start of the assignment of employee 1042 is '01/02/2026', not a date YYYY-MM-DD"),
        ("start: 2026-02-30", "'2026-02-30' cannot be read"),
        ("start: 2026-01-01T09:00:00", "not a date YYYY-MM-DD"),
        ("start: 2026-01-01, end: soon", "the end of the assignment of employee 1042 is 'soon'"),
    ],
)
def test_assignment_dates_not_iso_dates(tmp_path, dates, fragment):
    assignment = f'  - {{employee_number: "1042", plan: a, {dates}}}\n'
    assert_error(tmp_path, "plans:\n" + PLAN + "assignments:\n" + assignment, 4, fragment)


def test_assignment_ending_before_it_starts(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - {id: a, period: month, measure: bookings, tiers: [{from: 0, to: null, rate: 0.1}]}
        assignments:
          - employee_number: "1042"
            plan: a
            start: 2026-03-01
            end: 2026-02-28
        """,
        7,
        "ends on 2026-02-28 before it starts on 2026-03-01",
    )


# ---------------------------------------------------------------------------------------------------------------
# The rules of commissions.md


def test_unknown_plan_in_an_assignment(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - {id: ae_2026, period: quarter, measure: bookings, tiers: [{from: 0, to: null, rate: 0.1}]}
        assignments:
          - {employee_number: "1042", plan: ae_2026, start: 2026-01-01, end: 2026-06-30}
          - employee_number: "1042"
            plan: ae_2027
            start: 2026-07-01
        """,
        6,
        "plan 'ae_2027', which is not in 'plans' (plans: ae_2026)",
    )


def test_bands_that_overlap(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers:
              - {from: 0.0, to: 1.0, rate: 0.10}
              - {from: 0.9, to: null, rate: 0.15}
        assignments: []
        """,
        7,
        "from 0.9 overlaps the tier from 0 to 1 (line 6)",
    )


def test_bands_with_the_same_from_overlap(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers:
              - {from: 0.0, to: 1.0, rate: 0.10}
              - {from: 1.0, to: 2.0, rate: 0.15}
              - {from: 1.0, to: null, rate: 0.20}
        assignments: []
        """,
        8,
        "overlaps the tier from 1 to 2 (line 7)",
    )


def test_bands_that_leave_a_gap(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers:
              - {from: 1.5, to: null, rate: 0.20}
              - {from: 0.0, to: 1.0, rate: 0.10}
              - {from: 1.1, to: 1.5, rate: 0.15}
        assignments: []
        """,
        8,
        "leave a gap between 1 (line 7) and 1.1",
    )


def test_lowest_band_must_start_at_zero(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers:
              - {from: 0.5, to: null, rate: 0.10}
        assignments: []
        """,
        6,
        "the lowest tier of plan 'a' starts at 0.5, not at 0",
    )


def test_only_the_last_band_may_be_open(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers:
              - {from: 0.0, to: null, rate: 0.10}
              - {from: 1.0, to: null, rate: 0.15}
        assignments: []
        """,
        6,
        "from 0 has no upper end (to: null) but the tier from 1 (line 7) comes after it",
    )


def test_band_must_end_above_its_start(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers:
              - {from: 0.0, to: 1.0, rate: 0.10}
              - {from: 1.0, to: 1.0, rate: 0.15}
        assignments: []
        """,
        7,
        "from 1 to 1 does not end above where it starts",
    )


def test_negative_rate(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - id: a
            period: month
            measure: bookings
            tiers:
              - {from: 0.0, to: 1.0, rate: 0.10}
              - from: 1.0
                to: null
                rate: -0.05
        assignments: []
        """,
        9,
        "the tier of plan 'a' from 1 has a negative rate (-0.05)",
    )


def test_overlapping_assignments_of_one_person(tmp_path):
    # Dates are inclusive: ending on the day the next one starts is an overlap.
    assert_error(
        tmp_path,
        """\
        plans:
          - {id: a, period: month, measure: bookings, tiers: [{from: 0, to: null, rate: 0.1}]}
          - {id: b, period: month, measure: bookings, tiers: [{from: 0, to: null, rate: 0.2}]}
        assignments:
          - {employee_number: "1042", plan: b, start: 2026-04-01, end: null}
          - {employee_number: "7", plan: a, start: 2026-01-01, end: 2026-04-01}
          - {employee_number: 1042, plan: a, start: 2026-01-01, end: 2026-04-01}
        """,
        5,
        "employee 1042 to b from 2026-04-01 overlaps the one to a from 2026-01-01 to 2026-04-01 (line 7)",
    )


def test_open_ended_assignment_overlaps_every_later_one(tmp_path):
    assert_error(
        tmp_path,
        """\
        plans:
          - {id: a, period: month, measure: bookings, tiers: [{from: 0, to: null, rate: 0.1}]}
        assignments:
          - {employee_number: "1042", plan: a, start: 2025-01-01}
          - {employee_number: "1042", plan: a, start: 2025-02-01, end: 2025-03-31}
          - {employee_number: "1042", plan: a, start: 2026-01-01, end: null}
        """,
        5,
        "overlaps the one to a from 2025-01-01 open-ended (line 4)",
    )


def test_overlap_with_an_earlier_long_assignment(tmp_path):
    # The third overlaps the first, not the second (which ended before it).
    assert_error(
        tmp_path,
        """\
        plans:
          - {id: a, period: month, measure: bookings, tiers: [{from: 0, to: null, rate: 0.1}]}
        assignments:
          - {employee_number: "1042", plan: a, start: 2025-01-01, end: 2025-12-31}
          - {employee_number: "1042", plan: a, start: 2025-02-01, end: 2025-02-28}
        """,
        5,
        "overlaps the one to a from 2025-01-01 to 2025-12-31 (line 4)",
    )


def test_back_to_back_assignments_are_fine(tmp_path):
    rows = read(
        tmp_path,
        """\
        plans:
          - {id: a, period: month, measure: bookings, tiers: [{from: 0, to: null, rate: 0.1}]}
        assignments:
          - {employee_number: "1042", plan: a, start: 2026-04-01}
          - {employee_number: "1042", plan: a, start: 2026-01-01, end: 2026-03-31}
          - {employee_number: "1042", plan: a, start: 2025-12-31, end: 2025-12-31}
        """,
    )
    assert len(rows["comp_plan_assignment"]) == 3
