"""Tools run by the core: a failure says which command failed, its exit status (as a field,
for callers to act on) and the last lines it printed."""

import pytest

from conda_pack_ext.errors import BuildFailed
from conda_pack_ext.process import run_process
from tests.support.progress import RecordingProgress


def test_a_failing_command_reports_its_exit_status_and_last_lines():
    progress = RecordingProgress()
    with pytest.raises(BuildFailed) as failure:
        run_process(["sh", "-c", "echo solving; echo no such package >&2; exit 3"], progress,
                    what="the solver")  # fmt: skip

    assert failure.value.exit_status == 3
    assert failure.value.to_dict()["exit_status"] == 3
    assert "the solver" in failure.value.message
    assert "no such package" in failure.value.hint


def test_other_build_failures_have_no_exit_status():
    assert "exit_status" not in BuildFailed("conda-pack cannot pack it").to_dict()
