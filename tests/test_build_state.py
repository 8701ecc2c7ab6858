"""What makes a run build again: a new or changed export, a code change, a setting; and a current publication."""

import os
import shutil

import pytest

from salesops import build_state
from salesops.settings import load_settings


@pytest.fixture
def settings(tmp_path):
    exports = tmp_path / "exports"
    (exports / "crm" / "2026-11-25").mkdir(parents=True)
    (exports / "crm" / "2026-11-25" / "Opportunity.csv").write_text("Id\n006A\n", encoding="utf-8")
    return load_settings({"SALESOPS_DATA_DIR": str(tmp_path / "data"), "SALESOPS_EXPORTS_DIR": str(exports)})


@pytest.fixture
def code_root(tmp_path, monkeypatch):
    """A copy of the files the code digest reads, so a test may change one."""
    root = tmp_path / "code"
    for name in build_state.CODE_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(build_state.PROJECT_ROOT / name, root / name)
    (root / "dbt_project" / "models").mkdir(parents=True)
    (root / "dbt_project" / "models" / "a.sql").write_text("select 1\n", encoding="utf-8")
    monkeypatch.setattr(build_state, "PROJECT_ROOT", root)
    return root


def test_the_same_exports_code_and_settings_give_the_same_fingerprint(settings, code_root):
    assert build_state.build_fingerprint(settings) == build_state.build_fingerprint(settings)


def test_a_new_delivery_changes_the_fingerprint(settings, code_root):
    before = build_state.build_fingerprint(settings)
    (settings.exports_dir / "crm" / "2026-11-26").mkdir()
    (settings.exports_dir / "crm" / "2026-11-26" / "Opportunity.csv").write_text("Id\n006B\n", encoding="utf-8")
    assert build_state.build_fingerprint(settings) != before


def test_an_export_rewritten_in_place_changes_the_fingerprint(settings, code_root):
    path = settings.exports_dir / "crm" / "2026-11-25" / "Opportunity.csv"
    before = build_state.build_fingerprint(settings)
    status = path.stat()
    path.write_text("Id\n006Z\n", encoding="utf-8")  # same size
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))
    assert build_state.build_fingerprint(settings) != before


def test_a_code_change_changes_the_fingerprint(settings, code_root):
    before = build_state.build_fingerprint(settings)
    (code_root / "dbt_project" / "models" / "a.sql").write_text("select 2\n", encoding="utf-8")
    assert build_state.build_fingerprint(settings) != before


def test_a_setting_changes_the_fingerprint(settings, code_root, tmp_path):
    changed = load_settings(
        {
            "SALESOPS_DATA_DIR": str(settings.data_dir),
            "SALESOPS_EXPORTS_DIR": str(settings.exports_dir),
            "SALESOPS_FISCAL_YEAR_START_MONTH": "2",
        }
    )
    assert build_state.build_fingerprint(changed) != build_state.build_fingerprint(settings)


def test_nothing_new_needs_the_recorded_fingerprint_and_its_publication_still_current(settings, code_root):
    fingerprint = build_state.build_fingerprint(settings)
    assert build_state.nothing_new(settings, fingerprint, "p1") is None  # no build recorded yet
    build_state.record_build(settings, fingerprint, "run-1", "p1")
    assert build_state.nothing_new(settings, fingerprint, "p1").run_id == "run-1"
    assert build_state.nothing_new(settings, fingerprint, "p0") is None  # rolled back since
    assert build_state.nothing_new(settings, "another", "p1") is None
    build_state.forget_build(settings)  # a run started: until it publishes, nothing is known
    assert build_state.nothing_new(settings, fingerprint, "p1") is None


def test_a_record_cut_by_a_killed_process_means_build_again(settings, code_root):
    settings.runs_dir.mkdir(parents=True)
    (settings.runs_dir / build_state.LAST_BUILD).write_text('{"fingerprint": "ab', encoding="utf-8")
    assert build_state.last_build(settings) is None


def _needs_full_rebuild(settings) -> bool:
    """The dbt step's question, with the basis of the code and settings as they are now."""
    return build_state.needs_full_rebuild(settings, build_state.incremental_basis(settings))


def test_the_incremental_models_are_rebuilt_in_full_until_a_build_records_its_basis(settings, code_root):
    assert _needs_full_rebuild(settings)  # a new data dir: nothing was built incrementally yet
    build_state.record_incremental_basis(settings, build_state.incremental_basis(settings))
    assert not _needs_full_rebuild(settings)
    build_state.forget_incremental_basis(settings)  # salesops run --full-refresh
    assert _needs_full_rebuild(settings)


def test_a_dbt_code_change_or_a_dbt_setting_rebuilds_the_incremental_models_in_full(settings, code_root):
    build_state.record_incremental_basis(settings, build_state.incremental_basis(settings))
    (code_root / "dbt_project" / "models" / "a.sql").write_text("select 2\n", encoding="utf-8")
    assert _needs_full_rebuild(settings)  # rows kept from earlier runs were computed by the old SQL

    build_state.record_incremental_basis(settings, build_state.incremental_basis(settings))
    changed = settings.model_copy(update={"fiscal_year_start_month": 2})
    assert _needs_full_rebuild(changed)
    report_setting = settings.model_copy(
        update={"operations": settings.operations.model_copy(update={"stale_deal_days": 9})}
    )
    assert not _needs_full_rebuild(report_setting)  # not read by dbt
