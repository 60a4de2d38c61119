"""Hard cell time limits: a cell's work runs in a forked worker process, which is ended when the cell overruns.

`benchmark.grid.cell.time_limit` raises inside the method between Python
bytecodes, so a long native call (one SVD, one TensorFlow kernel) runs to its
end first, and a method that catches BaseException swallows it. Here the
limit is enforced from outside: the pytest process (a pytest-xdist worker, or
the main process without xdist) forks one `CellWorker` per session, sends it
one cell at a time through a pipe and waits at most the cell's limit for the
record. Past it the worker is killed (SIGKILL: nothing can catch it), the cell
is recorded as timed out, and the next cell forks a new worker; the pytest
process itself never stops, so the session goes on with or without xdist.

The limit covers everything the cell does in the worker: building or loading
its dataset and model, training, the ground truth, the method, scoring and the
sanity check. A build that times out is remembered, so the other cells of that
model fail at once with the same message instead of each waiting out the limit.

The worker lives across cells (its datasets, models and conversions stay
loaded), so a cell costs one pipe round trip over running in-process
(`motifbench bench watchdog` measures it). Forking is safe only while
TensorFlow has run nothing in the forking process (a forked child of a process
whose TensorFlow runtime has started hangs in its first op); the pytest process
of a grid run only imports it. Where forking is unsafe or unavailable, cells run
in-process under the cooperative limit alone, and a warning says so.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import time
from multiprocessing.connection import Connection, Pipe

from benchmark.grid import healing
from benchmark.grid.budget import budget
from benchmark.grid.cell import run_cell, versions
from benchmark.grid.session import model_item

log = logging.getLogger(__name__)

#: Past the cell's limit the worker gets this much longer (its own cooperative timeout usually fires first).
GRACE_FRACTION, GRACE_MIN = 0.1, 1.0
#: Artifacts a worker builds before the method runs, in order, with the stage a timeout while building them names.
BUILDS = (("dataset", "dataset"), ("model", "model"), ("truth", "ground truth"))
_warned: list[str] = []


def hard_deadline(timeout: float) -> float:
    """Seconds after which a cell limited to `timeout` seconds has its worker killed."""
    return timeout + max(GRACE_MIN, GRACE_FRACTION * timeout)


def fork_safe() -> str:
    """"" when a forked child can run TensorFlow, else why not (TensorFlow's runtime already started here, no fork)."""
    if not hasattr(os, "fork"):
        return "this platform cannot fork"
    tf_context = sys.modules.get("tensorflow.python.eager.context")
    if tf_context is not None:
        context = tf_context.context_safe()
        if context is not None and getattr(context, "_context_handle", None) is not None:
            return "TensorFlow has already run in this process, and a forked child would hang in its first op"
    return ""


def compute(session, cell, timeout: float | None) -> dict:
    """One cell's record computed in this process (`run_cell`), with the damaged caches it healed under ``_healed``."""
    with healing.collect() as healed:
        try:
            record = run_cell(session, cell, timeout=timeout)
        except Exception as error:  # a bug outside the stages run_cell guards: still a failed cell
            record = {"identity": session.identity(cell), "status": "failed", "stage": "method",
                      "error": f"{cell.id} failed: {type(error).__name__}: {error}"}
    if healed:
        record["_healed"] = list(healed)
    return record


def run_limited(session, cell, timeout: float | None) -> dict:
    """The cell's record, its work ended after `timeout` seconds (None or 0: no limit) whatever the method does.

    Computed in the session's `CellWorker` when the limit can be enforced
    there, else in this process under the cooperative limit (see the module doc).
    """
    if not timeout or timeout <= 0:
        return compute(session, cell, None)
    why = fork_safe()
    if why:
        if why not in _warned:
            _warned.append(why)
            log.warning("cell time limits are cooperative only in this process: %s", why)
        return compute(session, cell, timeout)
    worker = getattr(session, "_cell_worker", None)
    if worker is None:
        worker = session._cell_worker = CellWorker(session)
    return worker.run(cell, timeout)


class CellWorker:
    """Computes a session's cells in a forked child, one at a time, killing it when a cell overruns.

    `run` forks the child when none is alive; `close` ends it. Records, log
    lines, budget shares and the builds finished come back through one pipe.
    """

    def __init__(self, session):
        self.session = session
        self.pid: int | None = None
        self.conn: Connection | None = None
        self.failed_builds: dict[tuple[str, str], str] = {}  # (artifact, item) -> the timeout that stopped its build
        self.started = 0  # workers forked so far (1 + the cells that killed one)

    # -- parent side ------------------------------------------------------------------------
    def run(self, cell, timeout: float) -> dict:
        earlier = self._failed_build(cell)
        if earlier:
            return self._failed(cell, *earlier, elapsed=0.0)
        if self.pid is None:
            self._fork()
        start = time.perf_counter()
        built: set[str] = set()
        try:
            self.conn.send(("cell", cell, timeout))
        except OSError:  # the worker ended since the last cell (killed from outside): start another
            self.close()
            self._fork()
            self.conn.send(("cell", cell, timeout))
        deadline = start + hard_deadline(timeout)
        try:
            while True:
                left = deadline - time.perf_counter()
                if left <= 0 or not self.conn.poll(left):
                    break
                try:
                    message = self.conn.recv()
                except (EOFError, OSError):  # the worker died (out of memory, a crash in native code)
                    return self._lost(cell, start)
                if message[0] == "log":
                    _emit(message[1])
                elif message[0] == "built":
                    built.add(message[1])
                elif message[0] == "done":
                    return self._done(message[1], message[2])
        except BaseException:  # an interrupt while waiting: never leave the worker running
            self.close()
            raise
        self.close()
        stage = next((name for kind, name in BUILDS if kind not in built), "method")
        elapsed = time.perf_counter() - start
        what = f"method {cell.method}" if stage == "method" else f"building the {stage} of {cell.id}"
        message = (f"{what} timed out after {timeout:g} s (the cell's limit covers building, training and the method; "
                   f"its worker process was ended after {elapsed:.1f} s)")
        if stage != "method":
            self.failed_builds[_build_key(stage, cell)] = message
        return self._failed(cell, stage, message, elapsed)

    def _done(self, record: dict, extras: dict) -> dict:
        for name, item, wall, cpu, count in extras["budget"]:
            budget().add(name, item, wall, cpu, count)
        budget().child_cpu[self.pid] = extras["cpu"]  # each worker's CPU seconds so far (budget.drain adds them)
        self.session.models_used.update(extras["models"])
        return record

    def _failed_build(self, cell) -> tuple[str, str] | None:
        for kind, stage in BUILDS:
            message = self.failed_builds.get(_build_key(stage, cell))
            if message:
                return stage, f"{message} (in an earlier cell; not tried again in this run)"
        return None

    def _failed(self, cell, stage: str, message: str, elapsed: float) -> dict:
        log.error("cell %s failed: %s", cell.id, message)
        return {"identity": self.session.identity(cell), "status": "failed", "stage": stage, "error": message,
                "versions": versions(), "runtime": {"wall_seconds": elapsed}}

    def _lost(self, cell, start: float) -> dict:
        code = self.close()
        return self._failed(cell, "method", f"the worker process computing {cell.id} died ({code}) before it "
                                            "returned a record", time.perf_counter() - start)

    def _fork(self) -> None:
        parent, child = Pipe(duplex=True)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the caller (pytest) and never runs its exit handlers
            code = 0
            try:
                parent.close()
                _serve(self.session, child)
            except BaseException:  # noqa: BLE001 (whatever happens, the worker ends here)
                code = 1
            finally:
                os._exit(code)
        child.close()
        self.pid, self.conn = pid, parent
        self.started += 1

    def close(self) -> str:
        """End the worker (if any) and reap it; returns how it ended."""
        if self.pid is None:
            return "not running"
        with _quiet():
            os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        self.conn.close()
        self.pid, self.conn = None, None
        return f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit status {os.WEXITSTATUS(status)}"

    def __del__(self):
        if self.pid is not None:
            with _quiet():
                self.close()


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], (ProcessLookupError, ChildProcessError, OSError))


def _build_key(stage: str, cell) -> tuple[str, str]:
    return (stage, cell.task if stage == "dataset" else model_item(cell))


# -- worker side ---------------------------------------------------------------------------------
class _PipeHandler(logging.Handler):
    """Sends each log record to the parent, formatted (arguments and tracebacks may not pickle)."""

    def __init__(self, conn: Connection):
        super().__init__(logging.INFO)
        self.conn = conn

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            self.conn.send(("log", {"name": record.name, "levelno": record.levelno, "msg": text,
                                    "pathname": record.pathname, "lineno": record.lineno, "funcName": record.funcName}))
        except Exception:  # noqa: BLE001 (logging must never break the cell)
            pass


def _emit(fields: dict) -> None:
    logger = logging.getLogger(fields["name"])
    if logger.isEnabledFor(fields["levelno"]):
        logger.handle(logging.makeLogRecord({**fields, "levelname": logging.getLevelName(fields["levelno"])}))


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (no orphaned workers); a no-op elsewhere."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _serve(session, conn: Connection) -> None:
    """The worker's loop: compute each cell it is sent and send back the record, until the pipe closes."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    root = logging.getLogger()
    root.handlers[:] = [_PipeHandler(conn)]
    root.setLevel(logging.INFO)
    for name in list(logging.root.manager.loggerDict):  # pytest's capture handlers live on in the copy: drop them
        logger = logging.root.manager.loggerDict[name]
        if isinstance(logger, logging.Logger):
            logger.handlers[:] = [h for h in logger.handlers if isinstance(h, logging.NullHandler)]
    _report_builds(session, conn)
    budget().drain()  # what the parent booked before the fork is the parent's
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        _, cell, timeout = message
        before = dict(session.models_used)
        try:
            record = compute(session, cell, timeout)
        except BaseException as error:  # noqa: BLE001 (a method that raises SystemExit or the like)
            record = {"identity": session.identity(cell), "status": "failed", "stage": "method",
                      "error": f"{cell.id} failed: {type(error).__name__}: {error}", "versions": versions()}
        models = {k: v for k, v in session.models_used.items() if before.get(k) != v}
        conn.send(("done", record, {"budget": budget().drain()["rows"], "cpu": time.process_time(), "models": models}))


def _report_builds(session, conn: Connection) -> None:
    """Wrap the session's artifact getters so the parent hears which builds finished (to name a timeout's stage)."""
    for kind, _ in BUILDS:
        getter = getattr(session, kind, None)
        if getter is None:
            continue

        def reported(cell_or_task, *args, _getter=getter, _kind=kind, **kwargs):
            value = _getter(cell_or_task, *args, **kwargs)
            conn.send(("built", _kind))
            return value

        setattr(session, kind, reported)
