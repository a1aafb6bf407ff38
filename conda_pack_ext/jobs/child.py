"""Running a job's operation in a child process, its progress, log, temporary paths and
answer relayed back, and cancel relayed to it.

Why. Jobs run in threads of the Jupyter server's process. A pack keeps Python busy
between the gzip threads' blocks (tarfile, conda-pack's file records, hashing) and holds
the GIL most of the time, while the compression threads take both CPUs: the server's
event loop then waits for the GIL and for a CPU on every request (GET
/conda-pack-ext/status took over 100 ms at p99 during a 3.4 GB pack). In a child process
the operation holds no lock the event loop needs, and at a lower CPU priority (nice
CHILD_NICENESS, for the child and every thread and process it starts) it leaves the CPUs
to the server whenever both want them.

Protocol. The parent runs this module's `main` in a fresh interpreter and writes one JSON
line on its stdin: {kind, params, ads_config_dir}. The child answers on the pipe whose
descriptor is its argument, one JSON object per line: {"phase": [name, total, unit]},
{"done": [done, total]} (at most every UPDATE_SECONDS, and last before the answer),
{"log": line}, {"warn": message}, {"temp": path}, then exactly one of {"result": ...},
{"error": {code, message, hint, ...}, "status": n}, {"cancelled": true} or
{"internal": "Type: message"}. stdin stays open: a line "cancel", or its end (the server
died), cancels the operation, which then undoes its work as it does in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from ..errors import BuildFailed, Cancelled, PackError
from ..operations import run_operation
from ..progress import Progress

# The operations that run in a child process: those that keep CPUs and the GIL busy.
CHILD_KINDS = frozenset({"pack", "publish", "install"})
CHILD_NICENESS = 10
UPDATE_SECONDS = 0.1
# After a cancel, how long the child may take to undo its work before it is killed (what
# it reported as temporary is then removed by the runner).
CANCEL_GRACE_SECONDS = 60
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def run_job(kind: str, params: dict, progress: Progress, ads_config_dir: str | None = None):
    """The job runner's default: heavy operations in a child process, others in-process."""
    if kind in CHILD_KINDS:
        return run_in_child(kind, params, progress, ads_config_dir)
    return run_operation(kind, params, progress, ads_config_dir)


class RelayedError(PackError):
    """An error the operation raised in the child, as it described itself."""

    def __init__(self, data: dict, status: int):
        super().__init__(str(data.get("message", "")), str(data.get("hint", "")))
        self.data = data
        self.code = str(data.get("code", "error"))
        self.status = status

    def to_dict(self) -> dict:
        return dict(self.data)


class ChildFailed(Exception):
    """The operation failed in the child with an error that is a bug (its traceback is in
    the server's log)."""


def run_in_child(kind: str, params: dict, progress: Progress, ads_config_dir=None) -> dict:
    """Run one operation in a child process (see the module's docstring)."""
    progress.check_cancelled()
    read_fd, write_fd = os.pipe()
    # the child imports this very package, whatever its working folder holds
    code = f"import sys; sys.path[0] = {PACKAGE_ROOT!r}; import {__name__} as c; c.main()"
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", code, str(write_fd)],
            stdin=subprocess.PIPE,
            pass_fds=(write_fd,),
            text=True,
        )
    finally:
        os.close(write_fd)
    request = {"kind": kind, "params": params, "ads_config_dir": ads_config_dir}
    child.stdin.write(json.dumps(request, default=str) + "\n")
    child.stdin.flush()
    finished = threading.Event()
    watcher = threading.Thread(
        target=_relay_cancel, args=(child, progress, finished), name="job-child-cancel"
    )
    watcher.start()
    answer: dict = {}
    try:
        with os.fdopen(read_fd, encoding="utf-8") as events:
            for line in events:
                answer = _apply(json.loads(line), progress) or answer
    except BaseException:
        child.kill()  # it cannot be followed any more
        raise
    finally:
        finished.set()
        watcher.join()
        child.wait()
    return _outcome(answer, child.returncode, progress)


def _relay_cancel(child: subprocess.Popen, progress: Progress, finished: threading.Event):
    while not finished.is_set():
        if progress.cancel_event.wait(0.2):
            break
    else:
        return
    try:
        child.stdin.write("cancel\n")
        child.stdin.flush()
    except (BrokenPipeError, ValueError, OSError):
        return  # it has ended
    try:
        child.wait(CANCEL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()


def _apply(event: dict, progress: Progress) -> dict | None:
    """Apply one relayed event to the job's progress; the answer when it is one."""
    if "phase" in event:
        name, total, unit = event["phase"]
        progress.phase(name, total, unit)
    elif "done" in event:
        progress.update(*event["done"])
    elif "log" in event:
        progress.log(event["log"])
    elif "warn" in event:
        progress.warn(event["warn"])
    elif "temp" in event:
        progress.temp_path(event["temp"])
    else:
        return event
    return None


def _outcome(answer: dict, returncode: int, progress: Progress) -> dict:
    if "result" in answer:
        return answer["result"]
    if answer.get("cancelled") or (not answer and progress.cancelled):
        raise Cancelled()
    if "error" in answer:
        raise RelayedError(answer["error"], int(answer.get("status") or 500))
    if "internal" in answer:
        raise ChildFailed(answer["internal"])
    raise BuildFailed(
        f"the job's process ended without an answer (exit status {returncode})",
        "the server's log may say why (out of memory?); run the job again",
        exit_status=returncode,
    )


# ---- the child's side ---------------------------------------------------------------


class _RelayProgress(Progress):
    """Sends what the operation reports to the parent (from any of its threads)."""

    def __init__(self, pipe):
        super().__init__()
        self._pipe = pipe
        self._lock = threading.Lock()
        self._sent_at = 0.0

    def send(self, event: dict) -> None:
        line = json.dumps(event, default=str) + "\n"
        with self._lock:
            self._pipe.write(line)
            self._pipe.flush()

    def phase(self, name: str, total: float | None = None, unit: str = "") -> None:
        self.phase_name, self.done, self.total, self.unit = name, 0, total, unit
        self.send({"phase": [name, total, unit]})

    def on_change(self) -> None:
        now = time.monotonic()
        if now - self._sent_at >= UPDATE_SECONDS:
            self._sent_at = now
            self.send({"done": [self.done, self.total]})

    def log(self, line: str) -> None:
        self.send({"log": str(line)})

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.send({"warn": message})

    def temp_path(self, path) -> None:
        self.send({"temp": str(path)})


def _watch_stdin(progress: Progress) -> None:
    for line in sys.stdin:
        if line.strip() == "cancel":
            break
    progress.cancel_event.set()  # asked to, or the parent is gone


def main() -> None:
    os.nice(CHILD_NICENESS)
    request = json.loads(sys.stdin.readline())
    with os.fdopen(int(sys.argv[1]), "w", encoding="utf-8") as pipe:
        progress = _RelayProgress(pipe)
        threading.Thread(target=_watch_stdin, args=(progress,), daemon=True).start()
        try:
            result = run_operation(
                request["kind"], request["params"], progress, request["ads_config_dir"]
            )
        except Cancelled:
            answer: dict = {"cancelled": True}
        except PackError as error:
            answer = {"error": error.to_dict(), "status": error.status}
        except Exception as error:  # a bug: its traceback goes to the server's log
            traceback.print_exc()
            answer = {"internal": f"{type(error).__name__}: {error}"}
        else:
            answer = {"result": result}
        progress.send({"done": [progress.done, progress.total]})
        progress.send(answer)
