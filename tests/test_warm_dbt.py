"""The warm dbt (orchestration/warm_dbt.py): a command run through it behaves as dbt run directly.

It parses the project in advance only for a build that comes with the same folder, flags and environment;
the client's output and exit code are dbt's; and the process never outlives the one that started it.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration import warm_dbt
from orchestration.dbt_invocation import (
    DBT_EXECUTABLE,
    PROJECT_ENTRIES,
    dagster_dbt_environment,
    dbt_environment,
    dbt_parse_args,
    dbt_workspace,
    parse_state_seed,
)
from salesops.settings import load_settings
from tests.conftest import dbt_manifest

LIST_MODELS = ["ls", "--resource-type", "model", "--output", "name"]


@pytest.fixture
def build(tmp_path):
    """(settings, the folder dbt runs in, the environment a build there runs with)."""
    settings = load_settings({"SALESOPS_DATA_DIR": str(tmp_path / "data")})
    workspace = dbt_workspace(settings.data_dir)
    environment = {**dbt_environment(settings), **dagster_dbt_environment(workspace, settings.dbt_target_dir)}
    return settings, workspace, environment


def listed(stdout: str) -> list[str]:
    """What ``dbt ls`` printed, from its JSON log lines (the format dagster-dbt asks for)."""
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [event["info"]["msg"] for event in events if event["info"]["name"] == "PrintEvent"]


def start_warm_dbt(build, parse_args: list[str]) -> None:
    _, workspace, environment = build
    warm_dbt.start(workspace, parse_args, environment, parse_state_seed(), DBT_EXECUTABLE)


def run_client(build, command: list[str]) -> subprocess.CompletedProcess:
    """``salesops-dbt <command>`` in the workspace, as dagster-dbt starts it (under ``warm_dbt.serving``)."""
    _, workspace, environment = build
    return subprocess.run(
        [str(warm_dbt.CLIENT_EXECUTABLE), *command],
        cwd=workspace,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=300,
    )


def through_warm_dbt(build, parse_args: list[str], command: list[str]):
    """Start a warm dbt parsing with ``parse_args``, run ``command`` through its client: (completed, outcome)."""
    settings = build[0]
    start_warm_dbt(build, parse_args)
    with warm_dbt.serving(settings.dbt_target_dir / "warm-dbt.log") as warm_build:
        assert warm_build.executable == warm_dbt.CLIENT_EXECUTABLE
        completed = run_client(build, command)
    return completed, warm_build.outcome


def test_parse_inputs_are_the_folder_the_flags_choosing_what_is_parsed_and_dbt_and_salesops_variables():
    args = ["--no-use-color", "build", "--vars", '{"a": 1}', "--threads", "2", "--target", "dev"]
    env = {"DBT_PROFILES_DIR": "/p", "SALESOPS_DATA_DIR": "..", "HOME": "/root", warm_dbt.SERVER_VARIABLE: "{}"}
    assert warm_dbt.parse_inputs("/w", args, env) == {
        "cwd": "/w",
        "flags": {"--vars": '{"a": 1}', "--target": "dev"},
        "env": {"DBT_PROFILES_DIR": "/p", "SALESOPS_DATA_DIR": ".."},
    }
    # A build's own flags (threads, full refresh) and where dbt writes do not change what is parsed; vars do.
    elsewhere = {**env, "DBT_TARGET_PATH": "/t", "DBT_LOG_PATH": "/t"}
    assert warm_dbt.parse_inputs("/w", ["parse", "--vars", '{"a": 1}', "--target", "dev"], elsewhere) == (
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
    # The parse wrote only to its own folder; its state and manifests were handed to the build's target folder.
    for name in warm_dbt.PARSE_ARTIFACTS:
        assert (settings.dbt_target_dir / name).exists(), name
    assert not (settings.dbt_target_dir / "warm-dbt.log").exists()  # the warm dbt itself had nothing to say


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
    start_warm_dbt(build, dbt_parse_args(build[0]))
    server = warm_dbt._server
    warm_dbt.stop()
    assert server.process.poll() is not None
    assert not server.folder.exists()
    with warm_dbt.serving(build[0].dbt_target_dir / "warm-dbt.log") as warm_build:  # none waits: dbt starts itself
        assert warm_build.executable is None


def test_a_project_file_changed_after_the_parse_in_advance_is_parsed_again(build, tmp_path):
    settings, workspace, _ = build
    # The workspace links a copy of the project, not the repository's, whose model file this test touches.
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_ENTRIES:
        source = (workspace / name).resolve()
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, project / name)
        (workspace / name).unlink()
        (workspace / name).symlink_to(project / name)
    start_warm_dbt(build, dbt_parse_args(settings))
    parsed = warm_dbt._server.folder / warm_dbt.PARSE_TARGET / "perf_info.json"  # written as the parse ends
    deadline = time.monotonic() + 120
    while not parsed.exists():
        assert time.monotonic() < deadline, "the parse in advance never ended"
        time.sleep(0.1)
    next((project / "models").rglob("*.sql")).touch()
    with warm_dbt.serving(settings.dbt_target_dir / "warm-dbt.log") as warm_build:
        completed = run_client(build, [*LIST_MODELS, *dbt_parse_args(settings)[1:]])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert warm_build.outcome == {
        "parsed_in_advance": False,
        "reason": "a file of the dbt project changed since it was parsed in advance",
    }


def test_the_client_runs_dbt_itself_when_the_warm_dbt_is_gone(build):
    settings = build[0]
    start_warm_dbt(build, dbt_parse_args(settings))
    with warm_dbt.serving(settings.dbt_target_dir / "warm-dbt.log") as warm_build:
        warm_dbt._server.process.kill()
        warm_dbt._server.process.wait()
        completed = run_client(build, [*LIST_MODELS, *dbt_parse_args(settings)[1:]])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    models = [node for node in dbt_manifest()["nodes"].values() if node["resource_type"] == "model"]
    assert len(listed(completed.stdout)) == len(models)
    assert warm_build.outcome is None


def test_a_cancel_that_comes_while_parsing_stops_the_build_before_it_starts(build):
    settings = build[0]
    start_warm_dbt(build, dbt_parse_args(settings))
    with warm_dbt.serving(settings.dbt_target_dir / "warm-dbt.log"):
        client = subprocess.Popen(
            [str(warm_dbt.CLIENT_EXECUTABLE), "build", *dbt_parse_args(settings)[1:]],
            cwd=build[1],
            env={**os.environ, **build[2]},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(0.5)  # connected, while the warm dbt still imports dbt and parses (~2.5 s)
        client.send_signal(signal.SIGINT)
        output, _ = client.communicate(timeout=120)
    assert client.returncode == warm_dbt.INTERRUPTED_EXIT_CODE, output
    assert "Running with dbt" not in output  # no build began
    assert not (settings.warehouse_dir / "build.duckdb").exists()


def test_the_warm_dbt_dies_with_the_process_that_started_it(build, tmp_path):
    settings, workspace, environment = build
    starter = tmp_path / "starter.py"
    starter.write_text(
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from orchestration import warm_dbt\n"
        "workspace, seed, args, env = Path(sys.argv[1]), Path(sys.argv[2]), *map(json.loads, sys.argv[3:5])\n"
        "warm_dbt.start(workspace, args, env, seed, Path(sys.executable).with_name('dbt'))\n"
        "print(warm_dbt._server.process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            str(starter),
            str(workspace),
            str(parse_state_seed()),
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
