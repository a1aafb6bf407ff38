"""`--json` answers failures in JSON too: one object `{"error": {code, message, hint}}` on
stdout and a non-zero exit code, for usage errors, the core's errors and unexpected ones;
progress stays on stderr. Run as a user would: the real command in a subprocess, and
in-process for the cases that need a fault planted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conda_pack_ext.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run_command(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    """The real command in its own process, as a shell runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "conda_pack_ext", *argv],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=300,
    )  # fmt: skip


def run_main(capsys, *argv: str) -> subprocess.CompletedProcess:
    """The same command run in this process (quicker on a busy machine)."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(argv, code, captured.out, captured.err)


def only_error(stdout: str) -> dict:
    """The one JSON object on stdout, which must be an error."""
    answer = json.loads(stdout)  # the whole of stdout: nothing else printed there
    assert set(answer) == {"error"}
    assert set(answer["error"]) == {"code", "message", "hint"}
    return answer["error"]


@pytest.mark.parametrize(
    "argv, wanted",
    [(["install", "--json"], "one of the arguments -u/--conda-uri -s/--slug is required"),
     (["list", "--json", "--bogus"], "unrecognized arguments: --bogus"),
     (["pack", "--json", "--compress-level", "x"], "invalid int value"),
     (["--json"], "unrecognized arguments: --json"), (["nosuchcommand", "--json"], "invalid choice")],
)  # fmt: skip
def test_usage_errors_in_json(capsys, argv, wanted):
    done = run_main(capsys, *argv)
    assert done.returncode == 2
    error = only_error(done.stdout)
    assert error["code"] == "usage" and wanted in error["message"]
    assert "usage: conda-pack-ext" in error["hint"]
    assert done.stderr == ""


def test_the_real_command_answers_usage_errors_in_json(tmp_path):
    done = run_command("install", "-u", "x.tar.gz", "--sha256", "--json", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr == ""
    assert "expected one argument" in only_error(done.stdout)["message"]


def test_usage_errors_without_json_stay_argparse_like(capsys):
    done = run_main(capsys, "list", "--bogus")
    assert done.returncode == 2 and done.stdout == ""
    assert "usage: conda-pack-ext" in done.stderr
    assert "error: unrecognized arguments: --bogus" in done.stderr


def test_a_failing_command_answers_its_error_in_json_with_progress_on_stderr(tmp_path, capsys):
    store = (tmp_path / "store").as_uri()
    done = run_main(capsys, "unpublish", "-s", "absent_v1", "-p", store, "--json")
    assert done.returncode == 1
    error = only_error(done.stdout)
    assert error["code"] == "not_found"
    assert "absent_v1" in error["message"] and "list --published" in error["hint"]
    assert "finding the pack" in done.stderr  # progress, on stderr only

    missing = tmp_path / "missing.tar.gz"
    done = run_main(capsys, "install", "-u", str(missing), "--json", "--conda-pack-folder",
                    str(tmp_path / "conda"))  # fmt: skip
    assert done.returncode == 1
    assert str(missing) in only_error(done.stdout)["message"]


def test_without_json_an_error_is_one_paragraph_on_stderr(tmp_path, capsys):
    store = (tmp_path / "store").as_uri()
    done = run_main(capsys, "unpublish", "-s", "absent_v1", "-p", store)
    assert done.returncode == 1 and done.stdout == ""
    assert "error: slug 'absent_v1' is not published" in done.stderr


def boom(*args, **kwargs):
    raise RuntimeError("an unexpected failure with details")


def test_an_unexpected_error_is_internal_without_traceback(monkeypatch, capsys):
    from conda_pack_ext import status

    monkeypatch.setattr(status, "status", boom)  # a bug anywhere under a command
    assert main(["status", "--json"]) == 1
    captured = capsys.readouterr()
    error = only_error(captured.out)
    assert error["code"] == "internal" and "RuntimeError" in error["message"]
    assert "--debug" in error["hint"]
    assert "Traceback" not in captured.out + captured.err

    assert main(["status"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert "error: internal error (RuntimeError)" in captured.err

    assert main(["status", "--json", "--debug"]) == 1
    captured = capsys.readouterr()
    assert only_error(captured.out)["code"] == "internal"
    assert "Traceback" in captured.err and "an unexpected failure" in captured.err


def test_an_interrupt_is_answered_in_json(monkeypatch, capsys):
    from conda_pack_ext import status

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(status, "status", interrupted)
    assert main(["status", "--json"]) == 130
    assert only_error(capsys.readouterr().out)["code"] == "cancelled"
