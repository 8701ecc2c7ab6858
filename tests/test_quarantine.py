"""Quarantine: in an input that allows it, rows breaking a row rule are set aside and the rest lands."""

import datetime as dt
import json

import duckdb
import pytest

from ingestion.contracts import ENTITIES, FEEDS_PAY, entity
from ingestion.ingest import ingest_entity
from salesops.settings import load_settings
from tests.conftest import dbt_manifest, write

HISTORY = entity("crm.opportunity_history")
SPEND = entity("planning.marketing_spend")
STAGES = load_settings({}).stage_names
NOW = dt.datetime(2026, 11, 27, 6, 0, 0)
HISTORY_HEADER = "Id,OpportunityId,StageName,Amount,Probability,ForecastCategory,CloseDate,CreatedDate,IsDeleted\n"


def history_row(row_id, amount="1000.00", probability="10", created="2026-10-01T09:00:00.000Z"):
    return f"{row_id},006A,Prospecting,{amount},{probability},Pipeline,2026-12-15,{created},false\n"


def read(lake_dir, layer, source, name, sql="select * from {table}"):
    glob = f"{lake_dir}/{layer}/{source}/{name}/*/*.parquet"
    with duckdb.connect() as con:
        cursor = con.execute(sql.format(table=f"read_parquet('{glob}', union_by_name = true)"))
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def test_bad_rows_are_set_aside_with_rule_line_and_values_and_the_rest_lands(tmp_path):
    exports, lake_dir = tmp_path / "exports", tmp_path / "lake"
    write(
        exports / "crm" / "2026-11-25" / "OpportunityHistory.csv",
        HISTORY_HEADER
        + history_row("008A")  # line 2: good
        + history_row("008B", amount="-5.00")  # line 3: negative amount
        + history_row("008C", probability="140")  # line 4: probability above 100
        + history_row("008D", amount='"12,5"')  # line 5: a decimal comma, not a number
        + history_row("008E", created="31/12/2026 10:00")  # line 6: a local date format
        + history_row("008F"),  # line 7: good
    )
    outcome = ingest_entity(HISTORY, exports, lake_dir, STAGES, NOW, quarantine=True, run_id="run-1")

    assert outcome.passed and outcome.rows_landed == 2
    assert sorted(row["Id"] for row in read(lake_dir, "raw", "crm", "opportunity_history")) == ["008A", "008F"]
    assert outcome.rows_quarantined == {
        "Amount must be at least 0": 1,
        "Probability must be between 0 and 100": 1,
        "Amount must be a decimal number such as 48250.00": 1,
        "CreatedDate must be an ISO 8601 date-time such as 2026-03-01T14:03:22.000Z": 1,
    }
    set_aside = {row["_line_number"]: row for row in read(lake_dir, "quarantine", "crm", "opportunity_history")}
    assert sorted(set_aside) == [3, 4, 5, 6]
    unparsed = set_aside[5]
    assert (unparsed["record_id"], unparsed["column_name"], unparsed["value"]) == ("008D", "Amount", "12,5")
    assert unparsed["rule"] == "Amount must be a decimal number such as 48250.00"
    assert unparsed["_file"] == "crm/2026-11-25/OpportunityHistory.csv" and unparsed["_delivery"] == "2026-11-25"
    assert unparsed["run_id"] == "run-1"
    assert json.loads(unparsed["record"])["Amount"] == "12,5"
    assert json.loads(set_aside[6]["record"])["CreatedDate"] == "31/12/2026 10:00"


def test_a_corrected_row_lands_with_a_later_delivery(tmp_path):
    exports, lake_dir = tmp_path / "exports", tmp_path / "lake"
    write(exports / "crm" / "2026-11-25" / "OpportunityHistory.csv", HISTORY_HEADER + history_row("008B", "-5.00"))
    ingest_entity(HISTORY, exports, lake_dir, STAGES, NOW, quarantine=True)
    write(exports / "crm" / "2026-11-26" / "OpportunityHistory.csv", HISTORY_HEADER + history_row("008B", "5.00"))
    again = ingest_entity(HISTORY, exports, lake_dir, STAGES, NOW, quarantine=True)

    assert again.rows_quarantined == {} and again.rows_landed == 1
    landed = read(lake_dir, "raw", "crm", "opportunity_history")
    assert [(row["Id"], str(row["Amount"]), row["_delivery"]) for row in landed] == [("008B", "5.0000", "2026-11-26")]
    # The quarantine keeps its record of the first delivery.
    assert [row["_delivery"] for row in read(lake_dir, "quarantine", "crm", "opportunity_history")] == ["2026-11-25"]


def test_duplicate_ids_set_aside_every_copy(tmp_path):
    exports, lake_dir = tmp_path / "exports", tmp_path / "lake"
    write(
        exports / "planning" / "2026-11-25" / "marketing_spend.csv",
        "month,channel,amount\n2026-10,Web,100.00\n2026-10,Web,120.00\n2026-10,Events,50.00\n",
    )
    outcome = ingest_entity(SPEND, exports, lake_dir, STAGES, NOW, quarantine=True)

    # Which copy is right cannot be known: both are set aside, the other row lands.
    assert outcome.rows_quarantined == {"month, channel must be unique within a delivery": 2}
    assert [row["channel"] for row in read(lake_dir, "raw", "planning", "marketing_spend")] == ["Events"]
    set_aside = read(lake_dir, "quarantine", "planning", "marketing_spend", "select * from {table} order by 1")
    assert [(row["_line_number"], row["record_id"], row["value"]) for row in set_aside] == [
        (2, "2026-10 | Web", "2026-10 | Web"),
        (3, "2026-10 | Web", "2026-10 | Web"),
    ]


def test_without_quarantine_the_same_rows_block_and_nothing_lands(tmp_path):
    exports, lake_dir = tmp_path / "exports", tmp_path / "lake"
    write(
        exports / "crm" / "2026-11-25" / "OpportunityHistory.csv",
        HISTORY_HEADER + history_row("008A") + history_row("008B", amount="-5.00"),
    )
    outcome = ingest_entity(HISTORY, exports, lake_dir, STAGES, NOW, quarantine=False)

    assert not outcome.passed and outcome.landed == [] and outcome.quarantined == []
    assert not (lake_dir / "quarantine" / "crm" / "opportunity_history" / "delivery=2026-11-25").exists()


def test_an_input_never_set_aside_reads_as_an_empty_quarantine(tmp_path):
    ingest_entity(HISTORY, tmp_path / "no-exports", tmp_path / "lake", STAGES, NOW, quarantine=True)
    assert read(tmp_path / "lake", "quarantine", "crm", "opportunity_history") == []


@pytest.mark.parametrize("value", ["crm.opportunity", "hr.employee, crm.task"])
def test_an_input_commissions_are_computed_from_cannot_be_quarantined(value):
    with pytest.raises(ValueError, match="commissions are computed from this input"):
        load_settings({"SALESOPS_QUARANTINE": value})


def test_the_inputs_that_always_block_are_exactly_those_the_commission_marts_read():
    """FEEDS_PAY is the safe default's basis: it must follow the dbt lineage of every commission mart."""
    manifest = dbt_manifest()
    parents = manifest["parent_map"]

    def sources_above(node, seen):
        for parent in parents.get(node, []):
            if parent not in seen:
                seen.add(parent)
                sources_above(parent, seen)
        return seen

    commission_marts = [
        node
        for node, spec in manifest["nodes"].items()
        if spec["resource_type"] == "model" and spec["original_file_path"].startswith("models/marts/commissions/")
    ]
    assert commission_marts
    feeding = {
        manifest["sources"][parent]["source_name"] + "." + manifest["sources"][parent]["name"]
        for mart in commission_marts
        for parent in sources_above(mart, set())
        if parent.startswith("source.")
    }
    contract_inputs = {input_.key for input_ in ENTITIES}
    assert feeding & contract_inputs == FEEDS_PAY
