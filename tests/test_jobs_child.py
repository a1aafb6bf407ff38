"""Heavy jobs (pack, publish, install) run in a child process, so that they never hold the
server's GIL: their phases, progress, log lines, warnings, temporary paths and answers
come back as if they had run in the server's thread, errors keep their code, and a cancel
reaches the child."""

from __future__ import annotations

import time

import pytest

from conda_pack_ext.errors import NotFound
from conda_pack_ext.jobs import JobManager
from conda_pack_ext.jobs.child import CHILD_KINDS, RelayedError, run_in_child
from tests.support.packs import tiny_pack
from tests.support.progress import RecordingProgress


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def manager(tmp_path, isolated_user_dirs):
    manager = JobManager(tmp_path / "jobs.sqlite", persist_interval=0.1)
    yield manager
    manager.shutdown(timeout=30)


def test_an_install_job_runs_in_a_child_and_reports_as_in_process(manager, tmp_path):
    assert {"pack", "publish", "install"} <= CHILD_KINDS
    pack = tiny_pack(tmp_path / "tiny.tar.gz", "tiny_v1")
    folder = tmp_path / "installs"
    job = manager.submit(
        "install", {"conda_uri": str(pack), "conda_pack_folder": str(folder), "no_kernel": True}
    )
    wait_for(lambda: not job.active)
    answer = manager.snapshot(job)
    assert answer["state"] == "succeeded", answer["error"]
    assert answer["result"]["prefix"] == str(folder / "tiny_v1")
    assert (folder / "tiny_v1" / "share" / "tiny" / "data.txt").read_text() == "tiny\n"
    assert any(line.startswith("== ") for line in answer["log"])  # its phases


def test_errors_keep_their_code_status_and_hint(manager, tmp_path):
    job = manager.submit(
        "pack", {"slug": "missing_v1", "conda_pack_folder": str(tmp_path / "conda")}
    )
    wait_for(lambda: not job.active)
    answer = manager.snapshot(job)
    assert answer["state"] == "failed"
    assert answer["error"]["code"] == NotFound.code
    assert "missing_v1" in answer["error"]["message"] and answer["error"]["hint"]
    with pytest.raises(RelayedError) as raised:
        run_in_child("pack", {"slug": "missing_v1", "conda_pack_folder": str(tmp_path)},
                     RecordingProgress())  # fmt: skip
    assert raised.value.status == NotFound.status


def test_a_cancel_reaches_the_child(manager, tmp_path, object_storage, oci_config_file):
    """An install from a slow link is cancelled in the child mid-download: the job ends as
    cancelled, not as succeeded, and leaves nothing."""
    key = "conda/cpu/tiny/1/tiny_v1"
    object_storage.put("packs", key, tiny_pack(tmp_path / "tiny.tar.gz", "tiny_v1").read_bytes())
    object_storage.bandwidth = 100  # bytes per second: seconds for the tiny pack
    folder = tmp_path / "installs"
    job = manager.submit("install", {
        "conda_uri": f"oci://packs@testns/{key}", "conda_pack_folder": str(folder),
        "no_kernel": True, "os_endpoint": object_storage.endpoint,
        "oci_config": str(oci_config_file), "auth": "api_key",
    })  # fmt: skip
    wait_for(lambda: job.phase not in ("", "queued"))
    manager.cancel(job.id)
    wait_for(lambda: not job.active)
    answer = manager.snapshot(job)
    assert answer["state"] == "cancelled", answer["error"]
    assert not (folder / "tiny_v1").exists()
