"""A warm dbt: a process that imports dbt and parses the project while the run ingests, then builds on request.

Every dbt command spends its first ~2.5 s here importing dbt and loading the
project's parse state, before its first model. ``salesops run`` starts this
process as its job starts (``start``), so that both happen while the exports are
ingested, on the machine's other core; the dbt step then builds in it.

dagster-dbt still starts "dbt" as a subprocess and reads its JSON log lines:
under ``serving`` it starts ``salesops-dbt`` (``client_main``), which hands its
standard output and error to this process, waits for the build and exits with
dbt's exit code. What dagster-dbt reads is dbt's own output.

The parse in advance writes only to a private folder: the run may not hold the
data dir's lock yet. It is used for a build that comes with the same folder,
flags and environment, and no project file changed since (``parse_inputs``);
any other build parses again, as a dbt subprocess would. After the build, its
parse state and manifests go to the build's target folder, as a dbt subprocess
would leave them. One build per process: it ends after the build, and dies with
the process that started it. Only the standard library is imported at module
level: the client starts for every build.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SERVER_VARIABLE = "SALESOPS_DBT_SERVER"
"""Where the client finds the warm dbt (JSON: its socket, process id and log, and the dbt to run instead)."""
CLIENT_EXECUTABLE = Path(sys.executable).with_name("salesops-dbt")
# The flags that choose what dbt parses: the project, the profile, the vars. Where dbt writes (target and log
# paths) is not among them: the parse in advance writes to a private folder.
PARSE_FLAGS = ("--vars", "--target", "--profile", "--profiles-dir", "--project-dir")
WRITE_LOCATIONS = ("DBT_TARGET_PATH", "DBT_LOG_PATH")
# What the parse leaves in its target folder, handed to the build's (the next parse starts from its state).
PARSE_STATE = "partial_parse.msgpack"
PARSE_ARTIFACTS = (PARSE_STATE, "manifest.json", "semantic_manifest.json", "perf_info.json")
PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
PROJECT_FOLDERS = ("models", "macros", "tests")
OUTCOME = "outcome.json"
SOCKET = "socket"
PARSE_TARGET = "target"
LOG = "warm-dbt.log"
# How long the build's end may take to reach the process's own end (closing DuckDB is done before it replies).
EXIT_WAIT_SECONDS = 30
PR_SET_PDEATHSIG = 1
INTERRUPTED_EXIT_CODE = 2


def parse_inputs(cwd: str, args: Sequence[str], env: Mapping[str, str]) -> dict:
    """What a dbt command's parse depends on: its folder, the flags choosing project, profile and vars, and the
    environment dbt and the project read (dbt's own variables and salesops's)."""
    flags = {flag: value for flag, value in itertools.pairwise(args) if flag in PARSE_FLAGS}
    environment = {
        name: value
        for name, value in env.items()
        if name.startswith(("DBT_", "SALESOPS_")) and name not in (SERVER_VARIABLE, *WRITE_LOCATIONS)
    }
    return {"cwd": cwd, "flags": flags, "env": environment}


def project_changed_since(project_dir: Path, moment: float) -> bool:
    """True when a file of the dbt project in ``project_dir`` (the project, or a workspace linking its files)
    was modified after ``moment`` (a time.time())."""
    paths = [project_dir / name for name in PROJECT_FILES]
    for folder in PROJECT_FOLDERS:
        paths += [path for path in (project_dir / folder).rglob("*") if path.suffix in (".sql", ".yml")]
    return any(path.stat().st_mtime > moment for path in paths if path.exists())


@dataclass
class WarmDbt:
    process: subprocess.Popen
    folder: Path
    fallback: Path
    used: bool = False

    @property
    def address(self) -> str:
        return json.dumps(
            {
                "socket": str(self.folder / SOCKET),
                "pid": self.process.pid,
                "log": str(self.folder / LOG),
                "dbt": str(self.fallback),
            }
        )

    def outcome(self) -> dict | None:
        path = self.folder / OUTCOME
        return json.loads(path.read_text("utf-8")) if path.exists() else None


_server: WarmDbt | None = None


def start(cwd: Path, parse_args: Sequence[str], environment: Mapping[str, str], parse_state: Path, dbt: Path) -> None:
    """Start the warm dbt: it parses the project as ``dbt <parse_args>`` in ``cwd``, with this process's
    environment and ``environment`` over it, starting from the parse state file ``parse_state`` (if it
    exists). ``dbt`` is the executable the client runs instead when the warm dbt cannot take the build."""
    global _server
    stop()
    folder = Path(tempfile.mkdtemp(prefix="salesops-dbt-"))  # private (0700): only this user can connect
    target = folder / PARSE_TARGET
    target.mkdir()
    if parse_state.exists():
        shutil.copyfile(parse_state, target / PARSE_STATE)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener, open(folder / LOG, "wb") as errors:
        listener.bind(str(folder / SOCKET))
        listener.listen(1)  # a build that arrives before the parse is done waits in the backlog
        process = subprocess.Popen(
            # -P: not the current folder first on the module path. A session of its own: a terminal's Ctrl-C
            # reaches dbt once, through the client, not twice.
            [sys.executable, "-u", "-P", "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            pass_fds=(listener.fileno(),),
            start_new_session=True,
        )
        request = {
            "parent": os.getpid(),
            "listener": listener.fileno(),
            "folder": str(folder),
            "cwd": str(cwd),
            "args": list(parse_args),
            "env": {
                **os.environ,
                **environment,
                **{name: str(target) for name in WRITE_LOCATIONS},
            },
        }
        process.stdin.write(json.dumps(request).encode("utf-8"))
        process.stdin.close()
    _server = WarmDbt(process, folder, dbt)


def stop() -> None:
    """End the warm dbt if it is still there (the run ended before its build, or the build was cut short)."""
    global _server
    if _server is None:
        return
    if _server.process.poll() is None:
        _server.process.kill()
    _server.process.wait()
    shutil.rmtree(_server.folder, ignore_errors=True)
    _server = None


@dataclass
class WarmBuild:
    """A build in the warm dbt: the executable dagster-dbt is to start (None: no warm dbt waits, start dbt
    itself), and, once done, what the warm dbt reported."""

    executable: Path | None
    outcome: dict | None = None


@contextlib.contextmanager
def serving(log: Path) -> Iterator[WarmBuild]:
    """The warm dbt's build, if one waits: sets ``SERVER_VARIABLE`` for the dbt subprocess meanwhile. On
    leaving, waits for the warm dbt to end (it ends once it has replied), or ends it at once when the step
    failed: dbt never outlives the step that started its build. What the warm dbt printed itself is kept
    in ``log``."""
    server = _server
    if server is None or server.used or server.process.poll() is not None or not os.access(CLIENT_EXECUTABLE, os.X_OK):
        stop()
        yield WarmBuild(None)
        return
    server.used = True
    build = WarmBuild(CLIENT_EXECUTABLE)
    os.environ[SERVER_VARIABLE] = server.address
    try:
        yield build
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(EXIT_WAIT_SECONDS)
        build.outcome = server.outcome()
    finally:
        os.environ.pop(SERVER_VARIABLE, None)
        with contextlib.suppress(OSError):
            if (server.folder / LOG).stat().st_size:
                shutil.copyfile(server.folder / LOG, log)
        stop()


def describe(outcome: dict) -> str:
    if outcome["parsed_in_advance"]:
        return "dbt built in the warm dbt process, with the project parsed while the exports were ingested"
    return f"dbt built in the warm dbt process, parsing the project itself: {outcome['reason']}"


# The client: what dagster-dbt starts as "dbt".


def client_main() -> int:
    """Hand this process's output to the warm dbt, send it the command, and exit with dbt's exit code; run dbt
    itself when the warm dbt is gone before taking the build."""
    server = json.loads(os.environ[SERVER_VARIABLE])
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(server["socket"])
        socket.send_fds(connection, [b"."], [sys.stdout.fileno(), sys.stderr.fileno()])
    except OSError:
        os.execv(server["dbt"], [server["dbt"], *sys.argv[1:]])

    def interrupt_build(signum, frame) -> None:  # dagster-dbt stops dbt with SIGINT
        with contextlib.suppress(ProcessLookupError):
            os.kill(server["pid"], signal.SIGINT)

    signal.signal(signal.SIGINT, interrupt_build)
    signal.signal(signal.SIGTERM, interrupt_build)
    try:
        command = {"cwd": os.getcwd(), "args": sys.argv[1:], "env": dict(os.environ)}
        connection.sendall(json.dumps(command).encode("utf-8"))
        connection.shutdown(socket.SHUT_WR)
        reply = _read_to_end(connection)
    except OSError:
        reply = b""
    if not reply:
        sys.stderr.write(
            f"salesops-dbt: the warm dbt process (pid {server['pid']}) ended before finishing the build; "
            f"what it printed is in {server['log']} (kept in the data dir's dbt-target folder as {LOG}). "
            "Run `salesops run` again; if it recurs, report that log.\n"
        )
        return 2
    return json.loads(reply)["exit_code"]


def _read_to_end(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


# The warm dbt process itself.


def _die_with(parent: int) -> None:
    """Be killed when the process that started this one ends, killed or not (Linux): an orphaned build would
    write to the warehouse with no run, and no lock, around it."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before the line above
        os._exit(1)


def _exit_code(result) -> int:
    """dbt's own exit codes: 0 success, 1 a node failed, 2 dbt itself failed (or was interrupted)."""
    if result.success:
        return 0
    return 1 if result.exception is None else 2


def _close_warehouse() -> None:
    """Close dbt-duckdb's database (it keeps one, for every thread) and checkpoint it, as a dbt process does
    when it exits: this one ends with ``os._exit``."""
    import gc

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()
    gc.collect()  # cursors the threads left in reference cycles hold the database open too


def _hand_over_parse(source: Path, target: Path) -> None:
    """The parse's state and manifests into the build's target folder, each file replaced atomically."""
    from salesops.files import write_atomically

    for name in PARSE_ARTIFACTS:
        if (source / name).exists():
            write_atomically(target / name, (source / name).read_bytes())


def _quiet_start(start) -> None:
    """``start()``, with the error output (which a process it starts inherits) on /dev/null meanwhile."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        start()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def serve() -> None:
    request = json.loads(sys.stdin.buffer.read())
    _die_with(request["parent"])
    folder = Path(request["folder"])
    listener = socket.socket(fileno=request["listener"])
    interrupted = []
    # A cancel that comes while parsing (the client forwards it) must stop the build, not the parse: dbt would
    # swallow it as a failed parse and then build.
    signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
    import gc
    import logging
    from multiprocessing import resource_tracker

    # dbt's manifest and connections hold spawn-context locks, which multiprocessing's resource tracker frees
    # when this process ends with os._exit, saying so on its error output: started now, with that output on
    # /dev/null, it leaves this process's log to this process's own errors.
    _quiet_start(resource_tracker.ensure_running)

    from dbt.cli.main import dbtRunner

    os.chdir(request["cwd"])
    os.environ.update(request["env"])
    parsed_at = time.time()
    parsed = parse_inputs(request["cwd"], request["args"], os.environ)
    parse = dbtRunner().invoke(request["args"])
    manifest = parse.result if parse.success else None
    # Modules and the manifest live as long as the process: no collection need walk them. A build makes many
    # short-lived objects: collecting less often saves ~5 % of it.
    gc.freeze()
    gc.set_threshold(50_000, 50, 50)

    connection, _ = listener.accept()
    listener.close()
    _, (out, err), _, _ = socket.recv_fds(connection, 1, 2)
    command = json.loads(_read_to_end(connection))
    os.chdir(command["cwd"])
    os.environ.clear()
    os.environ.update(command["env"])
    if manifest is None:
        reason = "parsing it in advance failed (see dbt.log)"
    elif parse_inputs(command["cwd"], command["args"], os.environ) != parsed:
        manifest, reason = None, "the build's folder, flags or environment differ from those parsed in advance"
    elif project_changed_since(Path(command["cwd"]), parsed_at):
        manifest, reason = None, "a file of the dbt project changed since it was parsed in advance"
    else:
        reason = None
    log = os.dup(2)
    os.dup2(out, 1)
    os.dup2(err, 2)
    if interrupted:
        exit_code = INTERRUPTED_EXIT_CODE
    else:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # now dbt stops its build on a cancel
        exit_code = _exit_code(dbtRunner(manifest=manifest).invoke(command["args"]))
    sys.stdout.flush()
    sys.stderr.flush()
    # The client's output is dbt's output: it ends (dagster-dbt reads to its end) once no process holds it.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(log, 2)  # what goes wrong from here is the warm dbt's own, for its log
    for descriptor in (out, err, devnull, log):
        os.close(descriptor)
    try:
        _close_warehouse()
        if manifest is not None and not interrupted:
            _hand_over_parse(folder / PARSE_TARGET, Path(os.environ["DBT_TARGET_PATH"]))
        (folder / OUTCOME).write_text(json.dumps({"parsed_in_advance": manifest is not None, "reason": reason}))
    except Exception:
        import traceback

        traceback.print_exc()  # the build's own result stands: it is in the warehouse and dbt's log
    with contextlib.suppress(OSError):
        connection.sendall(json.dumps({"exit_code": exit_code}).encode("utf-8"))
        connection.close()
    logging.shutdown()
    sys.stderr.flush()
    os._exit(0)  # skip tearing the heap down: nobody waits for it


if __name__ == "__main__":
    serve()
