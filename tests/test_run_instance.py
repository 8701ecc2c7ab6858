"""The Dagster instance `salesops run` records its run in (orchestration/run_instance.py)."""

import shutil

import dagster as dg

from orchestration.run_instance import RunEventLogStorage, run_instance
from salesops.settings import PROJECT_ROOT


@dg.asset
def counted() -> int:
    return 3


@dg.asset_check(asset=counted)
def counted_is_positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def test_without_dagster_home_the_run_is_kept_nowhere(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with run_instance() as instance:
        assert instance.is_ephemeral


def test_a_run_recorded_through_the_kept_event_log_reads_back_as_dagsters_own(tmp_path, monkeypatch):
    """What the UI reads (Dagster's own storage on the same files) is what the run wrote, events and assets."""
    home = tmp_path / "dagster"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with run_instance() as instance:
        assert isinstance(instance.event_log_storage, RunEventLogStorage)
        result = dg.materialize([counted, counted_is_positive], instance=instance)
        assert result.success
        written = len(instance.all_logs(result.run_id))
    with dg.DagsterInstance.get() as reader:
        assert not isinstance(reader.event_log_storage, RunEventLogStorage)
        (run,) = reader.get_runs()
        assert run.run_id == result.run_id and run.status == dg.DagsterRunStatus.SUCCESS
        assert len(reader.all_logs(run.run_id)) == written > 0
        materialization = reader.get_latest_materialization_event(dg.AssetKey("counted"))
        assert materialization is not None and materialization.run_id == run.run_id
        check = reader.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("counted"), "counted_is_positive")]
        )
        (execution,) = check.values()
        assert execution.run_id == run.run_id


def test_a_dagster_yaml_that_chooses_its_storage_is_used_as_it_is(tmp_path, monkeypatch):
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(f"storage:\n  sqlite:\n    base_dir: {home}/elsewhere\n", encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with run_instance() as instance:
        assert not isinstance(instance.event_log_storage, RunEventLogStorage)
        assert dg.materialize([counted], instance=instance).success
    assert (home / "elsewhere").is_dir()
