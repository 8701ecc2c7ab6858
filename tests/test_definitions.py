"""The whole Definitions object loads, with lineage from export file to published marts."""

import importlib
import os
import subprocess
import sys

import dagster as dg
import pytest
import yaml

from ingestion.comp_plans import COMP_PLAN_TABLES
from ingestion.contracts import ENTITIES, SOURCES
from salesops.settings import DBT_PROJECT_DIR, load_settings


def test_importing_the_definitions_module_parses_nothing(monkeypatch):
    from orchestration.defs import transform

    transform.dbt_models.cache_clear()
    sys.modules.pop("orchestration.definitions", None)
    importlib.import_module("orchestration.definitions")
    assert transform.dbt_models.cache_info().currsize == 0


def test_definitions_load_with_lineage_and_blocking_gates():
    from orchestration.definitions import PIPELINE_JOB, defs

    definitions = defs()
    definitions.resolve_job_def(PIPELINE_JOB)
    graph = definitions.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {f"raw/{e.source}/{e.name}" for e in ENTITIES} <= keys
    assert {"marts/fct_opportunities", "marts/dim_sales_reps", "published/salesops_duckdb"} <= keys

    # dbt sources are the ingestion assets themselves: one graph from export file to mart.
    staging = graph.get(dg.AssetKey(["staging", "stg_crm__opportunities"]))
    assert dg.AssetKey(["raw", "crm", "opportunity"]) in staging.parent_keys
    publish = graph.get(dg.AssetKey(["published", "salesops_duckdb"]))
    assert {
        dg.AssetKey(["marts", "fct_opportunities"]),
        dg.AssetKey(["marts", "dim_sales_reps"]),
    } <= publish.parent_keys

    # The raw gates; the warning-only source_fresh checks are tested below.
    raw_checks = [
        key
        for key in graph.asset_check_keys
        if key.asset_key.path[0] == "raw"
        and key.name not in ("source_fresh", "no_rows_quarantined", "columns_as_before", "crm_references_resolve")
    ]
    assert len(raw_checks) == len(ENTITIES) + 3  # + comp_plans_valid, quota_holders_known, hr_people_distinct
    for key in raw_checks:
        assert graph.get_check_spec(key).blocking
    references = dg.AssetCheckKey(dg.AssetKey(["raw", "crm", "opportunity"]), "crm_references_resolve")
    assert not graph.get_check_spec(references).blocking
    # Every input reports what it set aside and how its columns drifted, as warnings that never block.
    for name in ("no_rows_quarantined", "columns_as_before"):
        warnings = [key for key in graph.asset_check_keys if key.name == name]
        assert {key.asset_key.path[1] + "." + key.asset_key.path[2] for key in warnings} == {
            input_.key for input_ in ENTITIES
        }
        assert not any(graph.get_check_spec(key).blocking for key in warnings)
    dbt_checks = {
        key.name for key in graph.asset_check_keys if key.asset_key == dg.AssetKey(["marts", "fct_opportunities"])
    }
    assert "unique_fct_opportunities_opportunity_id" in dbt_checks


def test_dbt_sources_match_the_input_contract():
    declared = set()
    for source in SOURCES:
        with open(
            DBT_PROJECT_DIR / "models" / "staging" / source / f"_{source}__sources.yml", encoding="utf-8"
        ) as handle:
            for entry in yaml.safe_load(handle)["sources"]:
                declared |= {(entry["name"], table["name"]) for table in entry["tables"]}
    assert declared == {(e.source, e.name) for e in ENTITIES} | {("planning", name) for name in COMP_PLAN_TABLES}


def test_settings_defaults_and_overrides(tmp_path):
    stage_map = tmp_path / "stages.yml"
    stage_map.write_text(
        "stage_map:\n"
        "  - {stage_name: Discovery, funnel_step: prospect, stage_order: 1, is_closed: false, is_won: false}\n"
    )
    defaults = load_settings({"HOME": str(tmp_path)})
    assert defaults.data_dir == tmp_path / ".local" / "share" / "salesops"
    assert defaults.fiscal_year_start_month == 1 and defaults.reporting_currency == "usd"
    assert "Negotiation/Review" in defaults.stage_names
    custom = load_settings(
        {
            "SALESOPS_DATA_DIR": str(tmp_path / "d"),
            "SALESOPS_STAGE_MAP": str(stage_map),
            "SALESOPS_FISCAL_YEAR_START_MONTH": "2",
        }
    )
    assert custom.stage_names == ("Discovery",) and custom.fiscal_year_start_month == 2
    assert custom.exports_dir == tmp_path / "d" / "exports"
    assert custom.dbt_vars()["stage_map"][0]["stage_name"] == "Discovery"


def test_duckdbs_memory_limit_is_a_setting_dbt_and_publish_share(tmp_path):
    from orchestration.dbt_invocation import dbt_environment

    profile = (DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8")
    default = load_settings({"SALESOPS_DATA_DIR": str(tmp_path)}).operations.memory_limit
    # A bare `dbt build` (make docs) gets the same default as the pipeline.
    assert f"env_var('SALESOPS_MEMORY_LIMIT', '{default}')" in profile
    chosen = load_settings({"SALESOPS_DATA_DIR": str(tmp_path), "SALESOPS_MEMORY_LIMIT": "1.5 GB"})
    assert dbt_environment(chosen)["SALESOPS_MEMORY_LIMIT"] == "1.5GB"
    with pytest.raises(ValueError, match=r"SALESOPS_MEMORY_LIMIT=lots: not a memory size; write a number and a unit"):
        load_settings({"SALESOPS_DATA_DIR": str(tmp_path), "SALESOPS_MEMORY_LIMIT": "lots"})


def test_the_pipeline_runs_itself_under_the_daemon():
    from orchestration.definitions import PIPELINE_JOB, defs
    from orchestration.defs.operations import ARRIVAL_SENSOR, FAILURE_ALERT_SENSOR, FRESHNESS_CHECK, NIGHTLY_SCHEDULE

    definitions = defs()
    schedule = definitions.resolve_schedule_def(NIGHTLY_SCHEDULE)
    assert schedule.job_name == PIPELINE_JOB
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    arrival = definitions.resolve_sensor_def(ARRIVAL_SENSOR)
    assert arrival.job_name == PIPELINE_JOB
    assert arrival.default_status == dg.DefaultSensorStatus.RUNNING
    assert arrival.minimum_interval_seconds == 30
    alert = definitions.resolve_sensor_def(FAILURE_ALERT_SENSOR)
    assert isinstance(alert, dg.RunStatusSensorDefinition)
    assert alert.default_status == dg.DefaultSensorStatus.RUNNING

    # One warning-only freshness check per source, run by the pipeline job right after its raw asset.
    job = definitions.resolve_job_def(PIPELINE_JOB)
    graph = definitions.resolve_asset_graph()
    freshness = {key for key in graph.asset_check_keys if key.name == FRESHNESS_CHECK}
    assert {key.asset_key.to_user_string() for key in freshness} == {
        "raw/crm/opportunity",
        "raw/billing/invoice",
        "raw/hr/employee",
        "raw/planning/quota",
        "raw/surveys/nps_response",
    }
    assert freshness <= job.asset_layer.asset_graph.asset_check_keys
    for key in freshness:
        assert not graph.get_check_spec(key).blocking
        step = f"{key.asset_key.to_python_identifier()}_{FRESHNESS_CHECK}"
        upstream = job.graph.dependency_structure.input_to_upstream_outputs_for_node(step)
        assert [output.node_name for outputs in upstream.values() for output in outputs] == [
            key.asset_key.to_python_identifier()
        ]


def test_reports_follow_the_publication_and_email_is_opt_in(tmp_path):
    from orchestration.definitions import PIPELINE_JOB, SEND_REPORTS_JOB, build_definitions
    from orchestration.defs.publish import PUBLISHED_KEY
    from orchestration.defs.reports import REPORT_EMAILS_KEY, REPORT_PACK_KEY

    definitions = build_definitions(load_settings({"HOME": str(tmp_path)}))
    graph = definitions.resolve_asset_graph()
    assert graph.get(REPORT_PACK_KEY).parent_keys == {PUBLISHED_KEY}
    assert graph.get(REPORT_EMAILS_KEY).parent_keys == {REPORT_PACK_KEY}
    pipeline = {node.name for node in definitions.resolve_job_def(PIPELINE_JOB).graph.nodes}
    assert REPORT_PACK_KEY.to_python_identifier() in pipeline
    assert REPORT_EMAILS_KEY.to_python_identifier() not in pipeline
    assert [node.name for node in definitions.resolve_job_def(SEND_REPORTS_JOB).graph.nodes] == [
        REPORT_EMAILS_KEY.to_python_identifier()
    ]

    emailing_settings = load_settings({"HOME": str(tmp_path), "SALESOPS_EMAIL_REPORTS": "true"})
    emailing = {node.name for node in build_definitions(emailing_settings).resolve_job_def(PIPELINE_JOB).graph.nodes}
    assert emailing == pipeline | {REPORT_EMAILS_KEY.to_python_identifier()}


def test_settings_reach_every_asset_as_a_resource_a_run_can_override(tmp_path):
    from orchestration.definitions import build_definitions
    from orchestration.resources import SettingsResource

    settings = load_settings({"HOME": str(tmp_path), "SALESOPS_SMTP_PORT": "2525", "SALESOPS_TIMEZONE": "Asia/Tokyo"})
    resource = build_definitions(settings).resources["settings"]
    assert isinstance(resource, SettingsResource) and resource.value == settings

    @dg.asset
    def seen(settings: SettingsResource) -> tuple:
        value = settings.value
        return str(value.data_dir), value.smtp.port, value.operations.timezone, value.stage_names

    override = {"resources": {"settings": {"config": {"data_dir": str(tmp_path / "other"), "smtp": {"port": 26}}}}}
    result = dg.materialize([seen], resources={"settings": resource}, run_config=override)
    assert result.output_for_node("seen") == (str(tmp_path / "other"), 26, "Asia/Tokyo", settings.stage_names)


def test_no_asset_sensor_or_check_reads_the_environment():
    """Assets, checks and sensors take the settings resource; only the CLI and the definitions read SALESOPS_*."""
    import ast

    decorators = {"asset", "multi_asset", "asset_check", "sensor", "run_failure_sensor", "dbt_assets"}
    for path in sorted((DBT_PROJECT_DIR.parent / "orchestration" / "defs").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            names = {ast.unparse(decorator).split("(")[0].split(".")[-1] for decorator in node.decorator_list}
            if not names & decorators:
                continue
            reads = [
                ast.unparse(inner)
                for inner in ast.walk(node)
                if (isinstance(inner, ast.Name) and inner.id in ("load_settings", "getenv"))
                or (isinstance(inner, ast.Attribute) and inner.attr == "environ")
            ]
            assert not reads, f"{path.name}: {node.name} reads the environment: {reads}"


def test_settings_are_validated_naming_the_variable(tmp_path):
    with pytest.raises(
        ValueError, match=r"SALESOPS_SMTP_PORT=abc: .*integer.*SALESOPS_TIMEZONE=Mars/Base: not an IANA"
    ):
        load_settings({"HOME": str(tmp_path), "SALESOPS_SMTP_PORT": "abc", "SALESOPS_TIMEZONE": "Mars/Base"})
    with pytest.raises(
        ValueError, match="SALESOPS_FISCAL_YEAR_START_MONTH=13: Input should be less than or equal to 12"
    ):
        load_settings({"HOME": str(tmp_path), "SALESOPS_FISCAL_YEAR_START_MONTH": "13"})
    with pytest.raises(ValueError, match="SALESOPS_EMAIL_REPORTS=sometimes: Input should be a valid boolean"):
        load_settings({"HOME": str(tmp_path), "SALESOPS_EMAIL_REPORTS": "sometimes"})


def test_a_stage_map_given_as_json_reads_false_as_false(tmp_path):
    stage_map = tmp_path / "stages.json"
    stage_map.write_text(
        '[{"stage_name": "Won", "funnel_step": "customer", "stage_order": 1, "is_closed": "true", "is_won": "true"},'
        ' {"stage_name": "Open", "funnel_step": "prospect", "stage_order": 2, "is_closed": "false", "is_won": "false"}]'
    )
    stages = load_settings({"HOME": str(tmp_path), "SALESOPS_STAGE_MAP": str(stage_map)}).stage_map
    assert [(stage.stage_name, stage.is_closed, stage.is_won) for stage in stages] == [
        ("Won", True, True),
        ("Open", False, False),
    ]
    stage_map.write_text('[{"stage_name": "Open", "funnel_step": "prospect", "stage_order": 1, "is_closed": "maybe"}]')
    with pytest.raises(
        ValueError, match=r"stages.json: stage entry 1 \(field is_closed\): Input should be a valid boolean"
    ):
        load_settings({"HOME": str(tmp_path), "SALESOPS_STAGE_MAP": str(stage_map)})


def test_only_the_cli_imports_the_demo_generator():
    """The demo exports are a tool beside the product: no product module depends on them."""
    root = DBT_PROJECT_DIR.parent
    importers = sorted(
        str(path.relative_to(root))
        for package in ("ingestion", "orchestration", "publishing", "salesops")
        for path in (root / package).rglob("*.py")
        if "demo_exports" in path.read_text(encoding="utf-8")
    )
    assert importers == ["orchestration/cli.py"]


def test_dbt_builds_with_a_thread_per_core_and_without_unit_tests(tmp_path):
    from orchestration.dbt_invocation import dbt_build_args

    args = dbt_build_args(load_settings({"SALESOPS_DATA_DIR": str(tmp_path)}))
    assert args[0] == "build"
    assert args[args.index("--threads") + 1] == str(os.cpu_count())
    assert args[args.index("--exclude-resource-type") + 1] == "unit_test"
    assert "--full-refresh" not in args
    assert "--full-refresh" in dbt_build_args(load_settings({"SALESOPS_DATA_DIR": str(tmp_path)}), full_rebuild=True)


def test_the_dbt_resource_knows_the_executables_version_without_asking_it(tmp_path):
    """It reads dbt-core's version from the package, instead of a `dbt --version` before every build."""
    from orchestration.dbt_invocation import DBT_EXECUTABLE
    from orchestration.defs.transform import WorkspaceDbtCli

    reported = subprocess.run([str(DBT_EXECUTABLE), "--version"], capture_output=True, text=True, check=True).stdout
    resource = WorkspaceDbtCli(project_dir=str(DBT_PROJECT_DIR), dbt_executable=str(DBT_EXECUTABLE))
    assert f"installed: {resource._cli_version}" in reported


def test_the_dbt_workspace_of_a_data_dir_links_the_project_and_follows_it_when_it_moves(tmp_path):
    from orchestration.dbt_invocation import PROJECT_ENTRIES, dbt_workspace

    elsewhere = tmp_path / "old-checkout" / "models"
    elsewhere.mkdir(parents=True)
    (tmp_path / "data" / "dbt").mkdir(parents=True)
    (tmp_path / "data" / "dbt" / "models").symlink_to(elsewhere)  # the code used to live elsewhere
    workspace = dbt_workspace(tmp_path / "data")
    assert workspace == tmp_path / "data" / "dbt"
    assert sorted(path.name for path in workspace.iterdir()) == sorted(PROJECT_ENTRIES)
    for name in PROJECT_ENTRIES:
        assert (workspace / name).readlink() == DBT_PROJECT_DIR / name
    assert dbt_workspace(tmp_path / "data") == workspace  # again: nothing to change


def test_a_run_freezes_what_start_up_loaded_and_leaves_nothing_frozen():
    """The collector skips the start-up heap during the run; an in-process caller (a test) gets its collector back."""
    import gc

    from orchestration.cli import start_up_heap_frozen

    loaded_before = [[] for _ in range(1000)]
    with start_up_heap_frozen():
        assert gc.get_freeze_count() >= len(loaded_before)
    assert gc.get_freeze_count() == 0
