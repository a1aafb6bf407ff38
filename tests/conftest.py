"""Fixtures shared by the whole suite: isolation from the user's files, the local conda
channel (real packages built at test time), and a Jupyter server with the extension."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

pytest_plugins = ("pytest_jupyter.jupyter_server", "tests.support.object_storage")


def pytest_configure(config):
    """Session-wide isolation too: module- and session-scoped fixtures run before the
    per-test one below, and must not write kernels or config into the user's folders."""
    base = Path(tempfile.mkdtemp(prefix="conda-pack-ext-tests-"))
    config._conda_pack_ext_base = base
    for variable, name in (("ADS_OPS_CONFIG_DIR", "ads_ops"), ("JUPYTER_DATA_DIR", "data")):
        (base / name).mkdir()
        os.environ[variable] = str(base / name)


# What makes a test slow (left out by `make pytest-fast`): real envs and packs built from
# the local channel, a Jupyter server, a container engine, ADS's own CLI. Whole modules
# that need them say so with `pytestmark = pytest.mark.slow`.
SLOW_FIXTURES = frozenset({"conda_channel", "jp_serverapp", "engine", "ads_executable"})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def pytest_unconfigure(config):
    base = getattr(config, "_conda_pack_ext_base", None)
    if base:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path, monkeypatch):
    """Keep ADS's config, Jupyter's data dir and the pack folder away from the real user."""
    ads = tmp_path / "ads_ops"
    data = tmp_path / "jupyter_data"
    ads.mkdir()
    data.mkdir()
    monkeypatch.setenv("ADS_OPS_CONFIG_DIR", str(ads))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(data))
    for name in ("JOB_RUN_OCID", "NB_SESSION_OCID", "DATAFLOW_RUN_ID", "PIPELINE_RUN_OCID"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def conda_channel():
    """A local conda channel of real packages (python, ipykernel, prefix-writing test
    packages), built once and cached on disk; returns its path."""
    from tests.support.channel import build_channel, package_cache_for

    channel = build_channel()
    # conda-pack reads prefix-bearing files back from the package cache, so each channel
    # build gets its own: a rebuilt package of the same file name must not replace the
    # cache entry that another run's envs still point to.
    os.environ["RATTLER_CACHE_DIR"] = str(package_cache_for(channel))
    return channel


@pytest.fixture
def jp_server_config(jp_server_config):
    return {"ServerApp": {"jpserver_extensions": {"conda_pack_ext": True}}}
