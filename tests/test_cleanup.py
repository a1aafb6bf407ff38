"""Listing changes nothing; clean-up runs when asked (`conda-pack-ext clean`, the `clean`
job) and at server start, and only in the pack folder, on our own leftovers and kernels."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from conda_pack_ext.cleanup import clean_pack_folder
from conda_pack_ext.kernels import kernels_dir
from conda_pack_ext.local_envs import list_local
from conda_pack_ext.settings import load_settings, write_config
from tests.support.cli import cli_json


def dead_pid() -> int:
    """A process id that no longer runs."""
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


def kernel(name: str, prefix: Path | None) -> Path:
    """A kernelspec: ours for the env at `prefix`, or a foreign one without it."""
    folder = kernels_dir() / name
    folder.mkdir(parents=True)
    spec = {"argv": ["python"], "display_name": name, "language": "python"}
    if prefix:
        spec["metadata"] = {"conda_pack_ext": {"slug": prefix.name, "prefix": str(prefix)}}
    (folder / "kernel.json").write_text(json.dumps(spec))
    return folder


@pytest.fixture
def messy_folder(tmp_path) -> dict:
    return make_messy_folder(tmp_path)


def make_messy_folder(tmp_path: Path) -> dict:
    """A pack folder as crashes leave it, and kernels of envs there and elsewhere."""
    folder = tmp_path / "conda"
    pid = dead_pid()
    (folder / "live_v1" / "conda-meta").mkdir(parents=True)
    paths = {
        "folder": folder,
        "staging": folder / f".half_v1.installing-{pid}-x1",
        "aside": folder / f".old_v1.previous-{pid}-1",
        "running": folder / f".busy_v1.installing-{os.getpid()}-x2",
        "not_ours": folder / ".keep-me-1-2",
        "stale": kernel("conda-pack-gone_v1", folder / "gone_v1"),
        "live": kernel("conda-pack-live_v1", folder / "live_v1"),
        "elsewhere": kernel("conda-pack-far_v1", tmp_path / "other" / "far_v1"),
        "foreign": kernel("foreign", None),
    }
    for name in ("staging", "aside"):
        (paths[name] / "conda-meta").mkdir(parents=True)
    for name in ("running", "not_ours"):
        paths[name].mkdir()
    return paths


def existing(paths: dict) -> list[str]:
    return sorted(name for name, path in paths.items() if path.exists())


EVERYTHING = sorted(
    ["folder", "staging", "aside", "running", "not_ours", "stale", "live", "elsewhere", "foreign"]
)


def test_listing_changes_nothing(messy_folder, capsys):
    folder = messy_folder["folder"]
    listed = cli_json(capsys, "list", "--conda-pack-folder", str(folder))
    assert [entry["slug"] for entry in listed] == ["live_v1"]
    assert list_local(load_settings(conda_pack_folder=str(folder)))[0]["slug"] == "live_v1"
    assert existing(messy_folder) == EVERYTHING


def test_clean_removes_only_our_leftovers_and_this_folders_stale_kernels(messy_folder, capsys):
    folder = messy_folder["folder"]
    planned = cli_json(capsys, "clean", "--dry-run", "--conda-pack-folder", str(folder))
    assert existing(messy_folder) == EVERYTHING
    cleaned = cli_json(capsys, "clean", "--conda-pack-folder", str(folder))
    assert (
        planned["leftovers"]
        == cleaned["leftovers"]
        == sorted([messy_folder["aside"].name, messy_folder["staging"].name])
    )
    assert planned["stale_kernels"] == cleaned["stale_kernels"] == ["conda-pack-gone_v1"]
    assert existing(messy_folder) == sorted(set(EVERYTHING) - {"staging", "aside", "stale"})
    assert (folder / "old_v1" / "conda-meta").is_dir()  # the env moved aside is put back
    assert cli_json(capsys, "clean", "--conda-pack-folder", str(folder))["leftovers"] == []


# ---- over REST and at server start ---------------------------------------------------------


@pytest.fixture
def server_messy_folder(jp_environ, tmp_path) -> dict:
    """A messy folder, with its kernels in the data dir the server will use."""
    return make_messy_folder(tmp_path)


@pytest.fixture
def configured(server_messy_folder) -> dict:
    """The messy folder is the configured pack folder (before the server starts)."""
    write_config({"conda_pack_folder": str(server_messy_folder["folder"])})
    return server_messy_folder


async def wait_for(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_the_server_cleans_the_configured_folder_at_start(configured, jp_fetch):
    await jp_fetch("api", "status")
    await wait_for(lambda: not configured["stale"].exists())
    await wait_for(lambda: not configured["staging"].exists())
    assert existing(configured) == sorted(set(EVERYTHING) - {"staging", "aside", "stale"})


async def test_get_envs_changes_nothing_and_reports_what_clean_would_remove(
    server_messy_folder, jp_fetch
):
    messy_folder = server_messy_folder
    folder = messy_folder["folder"]
    response = await jp_fetch("conda-pack-ext", "envs", params={"conda_pack_folder": str(folder)})
    answer = json.loads(response.body)
    assert [env["slug"] for env in answer["envs"]] == ["live_v1"]
    assert answer["cleanup"] == {
        "leftovers": sorted([messy_folder["aside"].name, messy_folder["staging"].name]),
        "stale_kernels": ["conda-pack-gone_v1"],
    }
    assert existing(messy_folder) == EVERYTHING


async def test_the_clean_job_works_on_the_configured_folder_only(server_messy_folder, jp_fetch):
    messy_folder = server_messy_folder
    folder = messy_folder["folder"]
    body = {"kind": "clean", "params": {"conda_pack_folder": str(folder)}}
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("conda-pack-ext", "jobs", method="POST", body=json.dumps(body))
    assert refused.value.code == 400
    assert "configured pack folder only" in json.loads(refused.value.response.body)["message"]
    assert existing(messy_folder) == EVERYTHING

    write_config({"conda_pack_folder": str(folder)})
    body = {"kind": "clean", "params": {}}
    response = await jp_fetch("conda-pack-ext", "jobs", method="POST", body=json.dumps(body))
    job_id = json.loads(response.body)["id"]

    async def finished():
        job = json.loads((await jp_fetch("conda-pack-ext", "jobs", job_id)).body)
        return job if job["state"] not in ("queued", "running") else None

    job = None
    while job is None:
        job = await finished()
        await asyncio.sleep(0.05)
    assert job["state"] == "succeeded", job["error"]
    assert job["result"]["stale_kernels"] == ["conda-pack-gone_v1"]
    assert existing(messy_folder) == sorted(set(EVERYTHING) - {"staging", "aside", "stale"})


def test_clean_pack_folder_of_a_missing_folder_is_empty(tmp_path):
    result = clean_pack_folder(load_settings(conda_pack_folder=str(tmp_path / "none")))
    assert result["leftovers"] == [] and result["stale_kernels"] == []
