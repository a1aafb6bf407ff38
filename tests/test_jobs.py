"""The job runner on its own: states, progress, logs, cancel, concurrency, history, events.

The operations here are small real functions driving a Progress the way the core does
(phases, counts, log lines, cancel checks, temporary files); the REST tests run the real
create/pack/install/publish operations through the same JobManager.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
from jupyter_events.schema import EventSchema
from oci.object_storage.models import CreateMultipartUploadDetails

from conda_pack_ext.errors import Conflict, InvalidInput, NotFound
from conda_pack_ext.jobs import JobManager, default_history_path
from conda_pack_ext.manifest import slug_lock
from conda_pack_ext.server import JOB_EVENT_SCHEMA_PATH
from conda_pack_ext.stores import oci_auth
from tests.support.history import running_job_record, write_history
from tests.support.secrets import assert_no_secret, secret_files


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


class Operations:
    """Operations with the same signature as run_operation, steered by the test."""

    def __init__(self):
        self.release = threading.Event()
        self.started = threading.Event()
        self.seen_params: list[dict] = []

    def __call__(self, kind, params, progress, ads_config_dir):
        self.seen_params.append(params)
        self.started.set()
        progress.phase("counting", total=50, unit="files")
        for n in range(50):
            progress.log(f"file {n}")
            progress.advance()
            time.sleep(0.004)
        progress.phase("waiting")
        while not self.release.wait(0.02):
            progress.check_cancelled()
        return {"slug": params.get("slug"), "kind": kind}


@pytest.fixture
def operations():
    ops = Operations()
    yield ops
    ops.release.set()


@pytest.fixture
def make_manager(tmp_path, operations):
    managers = []

    def make(**kwargs):
        kwargs.setdefault("runner", operations)
        kwargs.setdefault("persist_interval", 0.1)
        manager = JobManager(tmp_path / "jobs.sqlite", **kwargs)
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        manager.shutdown(timeout=10)


def test_history_lives_in_the_jupyter_data_dir(isolated_user_dirs):
    assert default_history_path() == (
        isolated_user_dirs / "jupyter_data" / "conda_pack_ext" / "jobs.sqlite"
    )


def test_a_job_runs_to_success_with_progress_and_log(make_manager, operations):
    manager = make_manager()
    job = manager.submit("pack", {"slug": "demo_v1"})
    assert job.state in ("queued", "running")
    wait_for(lambda: job.phase == "waiting")
    running = manager.snapshot(job)
    assert running["state"] == "running"
    assert running["started"]
    assert "file 49" in running["log"]
    operations.release.set()
    wait_for(lambda: job.state == "succeeded")
    done = manager.snapshot(job, log_offset=40)
    assert done["result"] == {"slug": "demo_v1", "kind": "pack"}
    assert done["error"] is None
    assert done["finished"] >= done["started"] >= done["created"]
    # the log is paged by offset: lines from 40 on
    assert done["log_offset"] == 40
    assert done["log"][0] == "file 39"  # line 0 is the phase header "== counting"
    assert done["log_total"] == len(manager.snapshot(job)["log"])


def test_rate_is_measured_during_a_phase(make_manager):
    rates = []

    def counting(kind, params, progress, ads_config_dir):
        progress.phase("uploading", total=200, unit="bytes")
        for _ in range(20):
            progress.advance(10)
            time.sleep(0.01)
            rates.append(progress._job.rate)
        return {}

    manager = make_manager(runner=counting)
    job = manager.submit("pack", {"slug": "rate_v1"})
    wait_for(lambda: job.state == "succeeded")
    measured = [r for r in rates if r]
    assert measured and 200 < measured[-1] < 2000  # about 10 bytes per 10 ms


def test_bad_kind_params_and_types_are_refused(make_manager):
    manager = make_manager()
    with pytest.raises(InvalidInput, match="unknown kind"):
        manager.submit("explode", {})
    with pytest.raises(InvalidInput, match="unknown parameter"):
        manager.submit("pack", {"slug": "x", "colour": "red"})
    with pytest.raises(InvalidInput, match="overwrite must be true or false"):
        manager.submit("pack", {"slug": "x", "overwrite": "yes"})
    with pytest.raises(InvalidInput, match="auth must be one of"):
        manager.submit("install", {"slug": "x", "auth": "password"})
    assert manager.list() == []


def test_one_job_per_slug(make_manager, operations):
    manager = make_manager()
    first = manager.submit("pack", {"slug": "same_v1"})
    with pytest.raises(Conflict, match="same_v1") as conflict:
        manager.submit("uninstall", {"slug": "same_v1"})
    assert first.id in conflict.value.hint
    other = manager.submit("pack", {"slug": "other_v1"})
    operations.release.set()
    wait_for(lambda: first.state == other.state == "succeeded")
    # once the first has ended, the slug is free again
    again = manager.submit("pack", {"slug": "same_v1"})
    wait_for(lambda: again.state == "succeeded")


def test_install_slug_comes_from_the_pack_uri(make_manager):
    manager = make_manager()
    manager.submit("install", {"conda_uri": "oci://b@ns/p/cpu/Demo/1/demo_v1"})
    with pytest.raises(Conflict):
        manager.submit("uninstall", {"slug": "demo_v1"})


def test_concurrency_is_bounded(make_manager, operations):
    manager = make_manager(max_concurrent_jobs=1)
    first = manager.submit("pack", {"slug": "a_v1"})
    second = manager.submit("pack", {"slug": "b_v1"})
    wait_for(lambda: first.phase == "waiting")
    time.sleep(0.2)
    assert second.state == "queued"
    operations.release.set()
    wait_for(lambda: second.state == "succeeded")


def test_cancel_a_queued_job_at_once(make_manager):
    manager = make_manager(max_concurrent_jobs=1)
    manager.submit("pack", {"slug": "a_v1"})
    queued = manager.submit("pack", {"slug": "b_v1"})
    manager.cancel(queued.id)
    assert queued.state == "cancelled"
    assert queued.error["code"] == "cancelled"
    assert queued.started is None


def test_cancel_a_running_job(make_manager, operations):
    manager = make_manager()
    job = manager.submit("pack", {"slug": "a_v1"})
    wait_for(lambda: job.phase == "waiting")
    manager.cancel(job.id)
    assert job.cancel_requested
    wait_for(lambda: job.state == "cancelled")
    assert job.error["code"] == "cancelled"
    with pytest.raises(Conflict, match="already cancelled"):
        manager.cancel(job.id)
    with pytest.raises(NotFound):
        manager.cancel("nope")


def test_failures_are_recorded(make_manager):
    from conda_pack_ext.errors import BuildFailed

    def failing(kind, params, progress, ads_config_dir):
        progress.log("solving")
        raise BuildFailed("the solver failed", "check the channels")

    def buggy(kind, params, progress, ads_config_dir):
        raise KeyError("oops")

    manager = make_manager(runner=failing)
    job = manager.submit("pack", {"slug": "a_v1"})
    wait_for(lambda: job.state == "failed")
    assert job.error == {
        "code": "build_failed",
        "message": "the solver failed",
        "hint": "check the channels",
    }
    assert "error: the solver failed" in list(job.log)
    manager._runner = buggy
    job = manager.submit("pack", {"slug": "b_v1"})
    wait_for(lambda: job.state == "failed")
    assert job.error["code"] == "internal_error"


def test_list_filters_newest_first(make_manager, operations):
    manager = make_manager()
    a = manager.submit("pack", {"slug": "a_v1"})
    time.sleep(0.01)
    b = manager.submit("uninstall", {"slug": "b_v1"})
    assert [j.id for j in manager.list()] == [b.id, a.id]
    assert [j.id for j in manager.list(kind="pack")] == [a.id]
    assert [j.id for j in manager.list(slug="b_v1")] == [b.id]
    assert [j.id for j in manager.list(limit=1)] == [b.id]
    operations.release.set()
    wait_for(lambda: not a.active and not b.active)
    assert {j.id for j in manager.list(state="succeeded")} == {a.id, b.id}
    with pytest.raises(InvalidInput):
        manager.list(state="sleeping")


def test_history_survives_a_restart(make_manager, operations, tmp_path):
    manager = make_manager()
    job = manager.submit("pack", {"slug": "a_v1"})
    operations.release.set()
    wait_for(lambda: job.state == "succeeded")
    manager.shutdown()
    again = make_manager()
    restored = again.get(job.id)
    assert restored.state == "succeeded"
    assert restored.result == {"slug": "a_v1", "kind": "pack"}
    assert "file 10" in list(restored.log)


def test_jobs_active_at_shutdown_end_interrupted(make_manager, operations):
    manager = make_manager(max_concurrent_jobs=1)
    running = manager.submit("pack", {"slug": "a_v1"})
    queued = manager.submit("pack", {"slug": "b_v1"})
    wait_for(lambda: running.phase == "waiting")
    manager.shutdown()
    assert running.state == queued.state == "interrupted"
    again = make_manager()
    assert again.get(running.id).state == "interrupted"
    assert again.get(queued.id).state == "interrupted"


def test_a_job_running_when_the_server_died_is_interrupted_and_cleaned(
    tmp_path, make_manager, isolated_user_dirs
):
    pack_folder = tmp_path / "packs"
    staging = pack_folder / ".demo_v1.installing-x1y2"
    (staging / "bin").mkdir(parents=True)
    partial_pack = pack_folder / ".packs" / ".demo_v1.tar.gz.4242.part"
    partial_pack.parent.mkdir()
    partial_pack.write_bytes(b"half a pack")
    unrelated = pack_folder / ".other_v1.installing-x1y2"
    unrelated.mkdir()
    reported = tmp_path / "reported-temp.tar.gz.part"
    reported.write_bytes(b"partial")
    record = running_job_record(
        "deadbeef",
        "install",
        {"conda_uri": "/somewhere/demo_v1.tar.gz", "conda_pack_folder": str(pack_folder)},
        "demo_v1",
        temp_paths=[str(reported)],
    )
    write_history(tmp_path / "jobs.sqlite", record)
    manager = make_manager()
    job = manager.get("deadbeef")
    assert job.state == "interrupted"
    assert job.error["code"] == "interrupted"
    assert job.finished
    assert not staging.exists() and not partial_pack.exists() and not reported.exists()
    assert unrelated.exists()
    assert "removed temporary files" in list(job.log)[-1]
    # the new state is on disk too
    with sqlite3.connect(tmp_path / "jobs.sqlite") as db:
        (state,) = db.execute("SELECT state FROM jobs WHERE id = 'deadbeef'").fetchone()
    assert state == "interrupted"


def test_temporary_environment_files_are_removed_after_the_job(make_manager, tmp_path):
    folder = tmp_path / "env-text"
    folder.mkdir()
    manager = make_manager(runner=lambda *args: {})
    job = manager.submit("pack", {"slug": "a_v1"}, temp_paths=[folder])
    wait_for(lambda: job.state == "succeeded")
    assert not folder.exists()


def test_events_are_throttled_and_match_the_schema(make_manager, operations):
    schema = EventSchema(Path(JOB_EVENT_SCHEMA_PATH))
    events = []
    manager = make_manager(on_event=events.append, event_interval=0.25)
    job = manager.submit("pack", {"slug": "a_v1"})
    wait_for(lambda: job.phase == "waiting")
    time.sleep(0.6)
    operations.release.set()
    wait_for(lambda: job.state == "succeeded")
    wait_for(lambda: events and events[-1]["state"] == "succeeded")
    for event in events:
        schema.validate(event)
    states = [e["state"] for e in events]
    assert states[-1] == "succeeded" and "running" in states
    # every log line arrives exactly once, in order, across the updates
    lines = [line for e in events for line in e["log"]]
    assert lines == list(job.log)
    offsets = [e["log_offset"] for e in events if e["log"]]
    assert offsets == sorted(offsets)
    # 50 progress steps and 50 log lines in ~0.2 s, then quiet: a handful of updates
    assert len(events) <= 10


def test_reported_temp_paths_are_undone_after_a_restart(
    tmp_path, make_manager, object_storage, oci_settings
):
    # a build whose marker was reported in a pack folder the settings no longer name
    # (config.ini changed since): the partial env goes, the previous one comes back
    old_folder = tmp_path / "old-pack-folder"
    (old_folder / "demo_v1" / "conda-meta").mkdir(parents=True)
    marker = old_folder / ".demo_v1.building"
    marker.write_text("12345")
    (old_folder / ".demo_v1.previous" / "conda-meta").mkdir(parents=True)
    (old_folder / ".demo_v1.previous" / "the-old-env").write_text("still here")
    # a publish that died mid-upload: its multipart upload is still pending
    settings = oci_settings()
    client = oci_auth.object_storage_client(settings)
    details = CreateMultipartUploadDetails(object="conda/cpu/demo/1/publish_v1")
    upload = client.create_multipart_upload("testns", "packs", details).data
    assert len(object_storage.pending_uploads()) == 1
    store_params = {
        name: getattr(settings, name)
        for name in ("conda_pack_os_prefix", "os_endpoint", "oci_config", "auth")
    }
    write_history(
        tmp_path / "jobs.sqlite",
        running_job_record(
            "0000b1d0", "create", {"environment_file": "env.yaml"}, "demo_v1",
            temp_paths=[str(marker)],
        ),
        running_job_record(
            "00ab0a7d", "publish", {"slug": "publish_v1", **store_params}, "publish_v1",
            temp_paths=[f"oci://packs@testns/{details.object}?upload_id={upload.upload_id}"],
        ),
    )  # fmt: skip

    manager = make_manager()
    built = manager.get("0000b1d0")
    assert built.state == "interrupted"
    assert sorted(p.name for p in old_folder.iterdir() if p.name != ".locks") == ["demo_v1"]
    assert (old_folder / "demo_v1" / "the-old-env").read_text() == "still here"
    assert "partial build" in list(built.log)[-1]

    published = manager.get("00ab0a7d")
    wait_for(lambda: not object_storage.pending_uploads())
    wait_for(lambda: "aborted the unfinished upload" in list(published.log)[-1])
    assert published.state == "interrupted"


# ---- state files are private; secrets stay out of them -------------------------------------


@pytest.fixture
def open_umask():
    """A umask that would make new files world-readable (as on many systems)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_history_database_is_private(make_manager, tmp_path, open_umask):
    make_manager().shutdown(timeout=10)
    db = tmp_path / "jobs.sqlite"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    db.chmod(0o644)  # a database from an older version
    make_manager().shutdown(timeout=10)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


@pytest.mark.parametrize("kind", ["secret_lines", "secret_profile", "pem_key"])
def test_a_secret_oci_config_stays_out_of_the_job_its_history_and_the_log(
    tmp_path, object_storage, throwaway_rsa_key_pem, caplog, kind
):
    path, leaks = secret_files(tmp_path / "secrets", throwaway_rsa_key_pem)[kind]
    manager = JobManager(tmp_path / "jobs.sqlite", persist_interval=0.1)
    try:
        job = manager.submit("unpublish", {
            "slug": "nothing", "auth": "api_key", "oci_config": str(path),
            "conda_pack_os_prefix": "oci://packs@testns/conda",
            "os_endpoint": object_storage.endpoint,
        })  # fmt: skip
        wait_for(lambda: not job.active)
        answer = manager.snapshot(job)
    finally:
        manager.shutdown(timeout=10)
    assert answer["state"] == "failed" and answer["error"]["code"] == "auth_error"
    assert str(path) in answer["error"]["message"]
    assert_no_secret(json.dumps(answer), leaks)
    assert_no_secret(caplog.text, leaks)
    for name in os.listdir(tmp_path):
        if name.startswith("jobs.sqlite"):
            assert_no_secret((tmp_path / name).read_bytes(), leaks)


def test_the_slug_lock_never_follows_a_planted_symlink(tmp_path, open_umask):
    folder, victim = tmp_path / "conda", tmp_path / "victim.txt"
    (folder / ".locks").mkdir(parents=True)
    (folder / ".locks" / "env_v1.lock").symlink_to(victim)
    with pytest.raises(InvalidInput, match="symbolic link"):
        with slug_lock(folder, "env_v1"):
            pass
    assert not victim.exists()  # not created through the link
    victim.write_text("precious")
    with pytest.raises(InvalidInput, match="symbolic link"):
        with slug_lock(folder, "env_v1"):
            pass
    assert victim.read_text() == "precious"  # not truncated either
    (folder / ".locks" / "env_v1.lock").unlink()
    with slug_lock(folder, "env_v1"):
        lock = folder / ".locks" / "env_v1.lock"
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
