"""The warm dbt (orchestration/warm_dbt.py): a command run through it behaves as dbt run directly.

It parses the project in advance only for a build that comes with the same folder, flags and environment;
the client's output and exit code are dbt's; and the process never outlives the one that started it.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration import warm_dbt
from orchestration.dbt_invocation import (
    DBT_EXECUTABLE,
    dagster_dbt_environment,
    dbt_environment,
    dbt_parse_args,
    dbt_workspace,
    seed_parse_state,
)
from salesops.settings import load_settings
from tests.conftest import dbt_manifest

LIST_MODELS = ["ls", "--resource-type", "model", "--output", "name"]


@pytest.fixture
def build(tmp_path):
    """(settings, the folder dbt runs in, the environment a build there runs with)."""
    settings = load_settings({"SALESOPS_DATA_DIR": str(tmp_path / "data")})
    workspace = dbt_workspace(settings.data_dir)
    seed_parse_state(settings.dbt_target_dir)
    environment = {**dbt_environment(settings), **dagster_dbt_environment(workspace, settings.dbt_target_dir)}
    return settings, workspace, environment


def listed(stdout: str) -> list[str]:
    """What ``dbt ls`` printed, from its JSON log lines (the format dagster-dbt asks for)."""
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [event["info"]["msg"] for event in events if event["info"]["name"] == "PrintEvent"]


def through_warm_dbt(build, parse_args: list[str], command: list[str]):
    """Start a warm dbt parsing with ``parse_args``, run ``command`` through its client: (completed, outcome)."""
    settings, workspace, environment = build
    warm_dbt.start(workspace, parse_args, environment, settings.dbt_target_dir / "warm-dbt.log")
    with warm_dbt.serving() as warm_build:
        completed = subprocess.run(
            [str(warm_build.executable), *command],
            cwd=workspace,
            env={**os.environ, **environment},
            capture_output=True,
            text=True,
            timeout=300,
        )
    return completed, warm_build.outcome


def test_parse_inputs_are_the_folder_the_flags_choosing_what_is_parsed_and_dbt_and_salesops_variables():
    args = ["--no-use-color", "build", "--vars", '{"a": 1}', "--threads", "2", "--target", "dev"]
    env = {"DBT_TARGET_PATH": "/t", "SALESOPS_DATA_DIR": "..", "HOME": "/root", warm_dbt.SERVER_VARIABLE: "{}"}
    assert warm_dbt.parse_inputs("/w", args, env) == {
        "cwd": "/w",
        "flags": {"--vars": '{"a": 1}', "--target": "dev"},
        "env": {"DBT_TARGET_PATH": "/t", "SALESOPS_DATA_DIR": ".."},
    }
    # A build's own flags (threads, full refresh) do not change what is parsed; its vars do.
    assert warm_dbt.parse_inputs("/w", ["parse", "--vars", '{"a": 1}', "--target", "dev"], env) == (
        warm_dbt.parse_inputs("/w", args, env)
    )
    assert warm_dbt.parse_inputs("/w", ["build", "--vars", '{"a": 2}', "--target", "dev"], env) != (
        warm_dbt.parse_inputs("/w", args, env)
    )


def test_a_command_with_the_inputs_parsed_in_advance_uses_that_parse_and_prints_what_dbt_prints(build):
    settings = build[0]
    completed, outcome = through_warm_dbt(
        build, dbt_parse_args(settings), [*LIST_MODELS, *dbt_parse_args(settings)[1:]]
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    models = sorted(node["name"] for node in dbt_manifest()["nodes"].values() if node["resource_type"] == "model")
    assert sorted(listed(completed.stdout)) == models
    assert outcome == {"parsed_in_advance": True, "reason": None}
    assert warm_dbt.describe(outcome).endswith("parsed while the exports were ingested")


def test_a_command_with_other_vars_parses_the_project_itself(build):
    settings = build[0]
    other_vars = json.dumps({**settings.dbt_vars(), "stale_deal_days": 1}, sort_keys=True)
    completed, outcome = through_warm_dbt(build, dbt_parse_args(settings), [*LIST_MODELS, "--vars", other_vars])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert len(listed(completed.stdout)) == sum(
        node["resource_type"] == "model" for node in dbt_manifest()["nodes"].values()
    )
    assert outcome["parsed_in_advance"] is False
    assert "differ from those parsed in advance" in outcome["reason"]


def test_a_failing_command_exits_with_dbts_own_exit_code(build):
    settings, workspace, environment = build
    failing = ["run-operation", "no_such_macro", *dbt_parse_args(settings)[1:]]
    direct = subprocess.run(
        [str(DBT_EXECUTABLE), *failing],
        cwd=workspace,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=300,
    )
    completed, _ = through_warm_dbt(build, dbt_parse_args(settings), failing)
    assert direct.returncode != 0
    assert completed.returncode == direct.returncode
    assert "no_such_macro" in completed.stdout


def test_a_warm_dbt_nobody_used_is_stopped_with_its_folder(build):
    settings, workspace, environment = build
    warm_dbt.start(workspace, dbt_parse_args(settings), environment, settings.dbt_target_dir / "warm-dbt.log")
    server = warm_dbt._server
    warm_dbt.stop()
    assert server.process.poll() is not None
    assert not server.folder.exists()
    with warm_dbt.serving() as warm_build:  # nothing waits now: the build starts dbt itself
        assert warm_build.executable is None


def test_the_warm_dbt_dies_with_the_process_that_started_it(build, tmp_path):
    settings, workspace, environment = build
    starter = tmp_path / "starter.py"
    starter.write_text(
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from orchestration import warm_dbt\n"
        "workspace, log, args, env = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])\n"
        "warm_dbt.start(Path(workspace), args, env, log)\n"
        "print(warm_dbt._server.process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            str(starter),
            str(workspace),
            str(tmp_path / "warm-dbt.log"),
            json.dumps(dbt_parse_args(settings)),
            json.dumps(environment),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    server = int(process.stdout.readline())
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{server}").exists() and "Z" not in _state(server):
        assert time.monotonic() < deadline, "the warm dbt outlived the process that started it"
        time.sleep(0.1)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return "gone"
