"""A warm dbt: a process that imports dbt and parses the project while the run ingests, then builds on request.

Every dbt command spends its first ~2.5 s here importing dbt and loading the
project's parse state, before its first model. ``salesops run`` starts this
process first thing (``start``), so that both happen while Dagster loads and the
exports are ingested, on the machine's other core; the dbt step then builds in it.

dagster-dbt still starts "dbt" as a subprocess and reads its JSON log lines:
under ``serving`` it starts ``salesops-dbt`` (``client_main``), which hands its
standard output and error to this process, waits for the build and exits with
dbt's exit code. What dagster-dbt reads is dbt's own output.

The project is parsed with the arguments and environment the build is expected
to come with; a build that comes with others (``parse_inputs`` differ) is parsed
again, as a dbt subprocess would. One build per process: it ends after the
build, and dies with the process that started it. Only the standard library is
imported at module level: the client starts for every build.
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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SERVER_VARIABLE = "SALESOPS_DBT_SERVER"
"""Where the client finds the warm dbt: its socket and process id (JSON), set while the build may use it."""
CLIENT_EXECUTABLE = Path(sys.executable).with_name("salesops-dbt")
# The flags that choose what dbt parses: the project, the profile, the vars.
PARSE_FLAGS = ("--vars", "--target", "--profile", "--profiles-dir", "--project-dir", "--target-path")
OUTCOME = "outcome.json"
SOCKET = "socket"
# How long the build's end may take to reach the process's own end (closing DuckDB is done before it replies).
EXIT_WAIT_SECONDS = 30
PR_SET_PDEATHSIG = 1


def parse_inputs(cwd: str, args: Sequence[str], env: Mapping[str, str]) -> dict:
    """What a dbt command's parse depends on: its folder, the flags choosing project, profile and vars, and the
    environment dbt and the project read (dbt's own variables and salesops's)."""
    flags = {flag: value for flag, value in itertools.pairwise(args) if flag in PARSE_FLAGS}
    environment = {
        name: value for name, value in env.items() if name.startswith(("DBT_", "SALESOPS_")) and name != SERVER_VARIABLE
    }
    return {"cwd": cwd, "flags": flags, "env": environment}


@dataclass
class WarmDbt:
    process: subprocess.Popen
    folder: Path
    log: Path
    used: bool = False

    @property
    def address(self) -> str:
        return json.dumps({"socket": str(self.folder / SOCKET), "pid": self.process.pid})

    def outcome(self) -> dict | None:
        path = self.folder / OUTCOME
        return json.loads(path.read_text("utf-8")) if path.exists() else None


_server: WarmDbt | None = None


def start(cwd: Path, parse_args: Sequence[str], environment: Mapping[str, str], log: Path) -> None:
    """Start the warm dbt: it parses the project as ``dbt <parse_args>`` in ``cwd``, with this process's
    environment and ``environment`` over it. What it writes on its own error output goes to ``log``."""
    global _server
    stop()
    folder = Path(tempfile.mkdtemp(prefix="salesops-dbt-"))  # private (0700): only this user can connect
    log.parent.mkdir(parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener, open(log, "wb") as errors:
        listener.bind(str(folder / SOCKET))
        listener.listen(1)  # a build that arrives before the parse is done waits in the backlog
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            pass_fds=(listener.fileno(),),
        )
        request = {
            "parent": os.getpid(),
            "listener": listener.fileno(),
            "folder": str(folder),
            "cwd": str(cwd),
            "args": list(parse_args),
            "env": {**os.environ, **environment},
        }
        process.stdin.write(json.dumps(request).encode("utf-8"))
        process.stdin.close()
    _server = WarmDbt(process, folder, log)


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
def serving() -> Iterator[WarmBuild]:
    """The warm dbt's build, if one waits: sets ``SERVER_VARIABLE`` for the dbt subprocess meanwhile. On
    leaving, waits for the warm dbt to end (it ends once it has replied), or ends it: dbt never outlives the
    step that started its build.
    """
    server = _server
    if server is None or server.used or server.process.poll() is not None:
        yield WarmBuild(None)
        return
    server.used = True
    build = WarmBuild(CLIENT_EXECUTABLE)
    os.environ[SERVER_VARIABLE] = server.address
    try:
        yield build
    finally:
        os.environ.pop(SERVER_VARIABLE, None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(EXIT_WAIT_SECONDS)
        build.outcome = server.outcome()
        stop()


def describe(outcome: dict) -> str:
    if outcome["parsed_in_advance"]:
        return "dbt built in the warm dbt process, with the project parsed while the exports were ingested"
    return f"dbt built in the warm dbt process, parsing the project itself: {outcome['reason']}"


# The client: what dagster-dbt starts as "dbt".


def client_main() -> int:
    """Hand this process's output to the warm dbt, send it the command, and exit with dbt's exit code."""
    server = json.loads(os.environ[SERVER_VARIABLE])
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(server["socket"])

    def interrupt_build(signum, frame) -> None:  # dagster-dbt stops dbt with SIGINT, then SIGKILL
        os.kill(server["pid"], signal.SIGINT)

    signal.signal(signal.SIGINT, interrupt_build)
    signal.signal(signal.SIGTERM, interrupt_build)
    socket.send_fds(connection, [b"."], [sys.stdout.fileno(), sys.stderr.fileno()])
    command = {"cwd": os.getcwd(), "args": sys.argv[1:], "env": dict(os.environ)}
    connection.sendall(json.dumps(command).encode("utf-8"))
    connection.shutdown(socket.SHUT_WR)
    reply = _read_to_end(connection)
    if not reply:
        sys.stderr.write(
            f"salesops-dbt: the warm dbt process (pid {server['pid']}) ended before finishing the build; "
            "its own errors are in warm-dbt.log in the data dir's dbt-target folder. "
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
    """dbt's own exit codes: 0 success, 1 a node failed, 2 dbt itself failed."""
    if result.success:
        return 0
    return 1 if result.exception is None else 2


def _build(command: dict, manifest) -> int:
    from dbt.cli.main import dbtRunner
    from dbt_common.exceptions import DbtBaseException

    try:
        return _exit_code(dbtRunner(manifest=manifest).invoke(command["args"]))
    except DbtBaseException as error:  # a usage error: dbtRunner raises it rather than returning it
        sys.stderr.write(f"{error}\n")
        return 2


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


def serve() -> None:
    request = json.loads(sys.stdin.buffer.read())
    _die_with(request["parent"])
    folder = Path(request["folder"])
    listener = socket.socket(fileno=request["listener"])
    import gc
    import logging

    from dbt.cli.main import dbtRunner

    os.chdir(request["cwd"])
    os.environ.update(request["env"])
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
    else:
        reason = None
    os.dup2(out, 1)
    os.dup2(err, 2)
    exit_code = _build(command, manifest)
    sys.stdout.flush()
    sys.stderr.flush()
    # The client's output is dbt's output: it ends (dagster-dbt reads to its end) once no process holds it.
    devnull = os.open(os.devnull, os.O_WRONLY)
    for descriptor in (1, 2):
        os.dup2(devnull, descriptor)
    for descriptor in (out, err, devnull):
        os.close(descriptor)
    _close_warehouse()
    (folder / OUTCOME).write_text(json.dumps({"parsed_in_advance": manifest is not None, "reason": reason}))
    with contextlib.suppress(OSError):
        connection.sendall(json.dumps({"exit_code": exit_code}).encode("utf-8"))
        connection.close()
    logging.shutdown()
    os._exit(0)  # skip tearing the heap down: nobody waits for it


if __name__ == "__main__":
    serve()
