"""Kernels of installed envs: started through jupyter_client and running code, the env's
own kernelspecs, cleanup of stale kernels, foreign kernelspecs left alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from conda_pack_ext.install import LocalFileSource, install_pack, list_local
from conda_pack_ext.kernels import (
    NB_CONDA_KERNELS_MANAGER,
    kernel_name,
    kernels_dir,
    nb_conda_kernels_config,
    nb_conda_kernels_lists,
)
from conda_pack_ext.settings import load_settings
from tests.support.channel import TEST_APP, TEST_LIB
from tests.support.kernels import run_in_kernel
from tests.support.packs import (  # noqa: F401 (session fixtures)
    SHIPPED_KERNEL,
    packs_dir_fixture,
    python_pack_fixture,
)

pytestmark = pytest.mark.slow

LIB, APP = TEST_LIB.replace("-", "_"), TEST_APP.replace("-", "_")
REPORT = f"""
import json, os, sys, {LIB}, {APP}
print(json.dumps({{
    "prefix": sys.prefix,
    "module": {APP}.INSTALL_PREFIX,
    "text": {LIB}.text_prefix(),
    "binary": {LIB}.binary_prefix(),
    "path0": os.environ["PATH"].split(os.pathsep)[0],
    "conda_prefix": os.environ.get("CONDA_PREFIX"),
    "variable": os.environ.get("CPE_TEST_VARIABLE"),
    "shipped": os.environ.get("CPE_SHIPPED_KERNEL"),
}}))
"""


def run_report(name: str) -> dict:
    """Start the kernelspec `name` via jupyter_client and return the REPORT it prints."""
    return json.loads(run_in_kernel(name, REPORT))


@pytest.fixture
def installed(tmp_path, python_pack) -> dict:
    settings = load_settings(conda_pack_folder=str(tmp_path / "kernels test" / "conda"))
    return install_pack(LocalFileSource(python_pack), settings)


def test_registered_kernel_runs_in_the_installed_env(installed):
    prefix = installed["prefix"]
    name = kernel_name("testenv_v1_0")
    specs = KernelSpecManager().get_all_specs()
    assert specs[name]["spec"]["display_name"] == "Python [conda env:testenv_v1_0]"
    assert specs[name]["spec"]["metadata"]["conda_pack_ext"]["slug"] == "testenv_v1_0"
    report = run_report(name)
    assert report["prefix"] == report["module"] == report["text"] == report["binary"] == prefix
    assert report["path0"] == str(Path(prefix) / "bin")
    assert report["conda_prefix"] == prefix
    assert report["variable"] == "from-the-manifest"


def test_kernelspecs_the_env_ships_are_registered_into_it(installed):
    prefix = Path(installed["prefix"])
    shipped = kernel_name("testenv_v1_0", SHIPPED_KERNEL)
    assert sorted(installed["kernels"]) == sorted([kernel_name("testenv_v1_0"), shipped])
    spec_dir = kernels_dir() / shipped
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["argv"][0] == str(prefix / "bin" / "python")
    assert spec["display_name"] == "Echo [conda env:testenv_v1_0]"
    assert (spec_dir / "logo-64x64.png").is_file()
    # ipykernel's own python3 spec is replaced by ours, not registered twice
    assert not (kernels_dir() / kernel_name("testenv_v1_0", "python3")).exists()
    report = run_report(shipped)
    assert report["prefix"] == str(prefix)
    assert report["shipped"] == "yes"


def test_list_removes_kernels_of_vanished_envs_only(installed, tmp_path):
    foreign = kernels_dir() / "someone-elses"
    foreign.mkdir()
    (foreign / "kernel.json").write_text(
        json.dumps({"argv": ["/nowhere/python"], "display_name": "x", "language": "python"})
    )
    settings = load_settings(conda_pack_folder=str(Path(installed["prefix"]).parent))
    assert [e["slug"] for e in list_local(settings)] == ["testenv_v1_0"]
    assert all((kernels_dir() / name).is_dir() for name in installed["kernels"])

    shutil.rmtree(installed["prefix"])  # removed behind our back
    assert list_local(settings) == []
    assert all(not (kernels_dir() / name).exists() for name in installed["kernels"])
    assert foreign.is_dir()


def write_jupyter_config(folder: Path, manager: str, **conda_settings) -> None:
    """A jupyter_config.json as `python -m nb_conda_kernels install --enable` writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {"JupyterApp": {"kernel_spec_manager_class": manager}}
    if conda_settings:
        config["CondaKernelSpecManager"] = conda_settings
    (folder / "jupyter_config.json").write_text(json.dumps(config))


def test_nb_conda_kernels_is_seen_only_where_jupyter_config_enables_it(tmp_path, monkeypatch):
    user_config = tmp_path / "jupyter_config"
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(user_config))
    assert nb_conda_kernels_config() is None
    write_jupyter_config(user_config, NB_CONDA_KERNELS_MANAGER, env_filter="/scratch/")
    assert nb_conda_kernels_config() == {"env_filter": "/scratch/"}
    write_jupyter_config(user_config, "jupyter_client.kernelspec.KernelSpecManager")
    assert nb_conda_kernels_config() is None


def test_kernel_registered_unless_nb_conda_kernels_surely_lists_the_env(
    tmp_path, monkeypatch, python_pack
):
    # nb_conda_kernels enabled and the pack folder an envs dir of conda's: it would list
    # the env only if it is installed and a conda executable answers; neither is true
    # here, so our kernel is the only one and must be registered
    folder = tmp_path / "envs"
    write_jupyter_config(tmp_path / "jupyter_config", NB_CONDA_KERNELS_MANAGER)
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter_config"))
    monkeypatch.setenv("CONDA_ENVS_PATH", str(folder))
    installed = install_pack(
        LocalFileSource(python_pack), load_settings(conda_pack_folder=str(folder))
    )
    assert kernel_name("testenv_v1_0") in installed["kernels"]
    assert nb_conda_kernels_lists(Path(installed["prefix"])) is False
