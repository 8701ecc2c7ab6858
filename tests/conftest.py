"""Shared fixtures: settings isolated per test, and small hand-written exports."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

OPPORTUNITY_HEADER = (
    "Id,Name,AccountId,OwnerId,Type,LeadSource,StageName,Amount,Probability,ForecastCategoryName,"
    "CloseDate,CreatedDate,IsClosed,IsWon,LastModifiedDate,IsDeleted"
)


def write(path: Path, text: str, bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("SALESOPS_DATA_DIR", str(directory))
    return directory
