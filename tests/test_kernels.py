"""Kernels of installed envs: started through jupyter_client and running code, the env's
own kernelspecs, cleanup of stale kernels, foreign kernelspecs left alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from conda_pack_ext.cleanup import clean_pack_folder
from conda_pack_ext.install import LocalFileSource, install_pack
from conda_pack_ext.kernels import (
    NB_CONDA_KERNELS_MANAGER,
    kernel_name,
    kernels_dir,
    nb_conda_kernels_config,
    nb_conda_kernels_lists,
    register_kernels,
)
from conda_pack_ext.local_envs import list_local
from conda_pack_ext.manifest import read_manifest
from conda_pack_ext.progress import Progress
from conda_pack_ext.settings import load_settings
from tests.support.channel import TEST_APP, TEST_LIB
from tests.support.kernels import run_in_kernel
from tests.support.packs import (  # noqa: F401 (session fixtures)
    SHIPPED_KERNEL,
    packs_dir_fixture,
    python_pack_fixture,
)
from tests.support.progress import RecordingProgress

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
    "shipped": os.environ.get("MPLBACKEND"),
    "hostile": sorted(k for k, v in os.environ.items() if "/nowhere" in v or v == "/evil"),
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
    assert report["shipped"] == "agg"


def test_clean_removes_kernels_of_vanished_envs_only(installed, tmp_path):
    foreign = kernels_dir() / "someone-elses"
    foreign.mkdir()
    (foreign / "kernel.json").write_text(
        json.dumps({"argv": ["/nowhere/python"], "display_name": "x", "language": "python"})
    )
    settings = load_settings(conda_pack_folder=str(Path(installed["prefix"]).parent))
    assert [e["slug"] for e in list_local(settings)] == ["testenv_v1_0"]
    assert clean_pack_folder(settings)["stale_kernels"] == []
    assert all((kernels_dir() / name).is_dir() for name in installed["kernels"])

    shutil.rmtree(installed["prefix"])  # removed behind our back
    assert list_local(settings) == []
    assert all((kernels_dir() / name).is_dir() for name in installed["kernels"])  # listing
    assert clean_pack_folder(settings)["stale_kernels"] == sorted(installed["kernels"])
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


# ---- kernelspecs shipped by a pack are untrusted ------------------------------------------


def ship(prefix: Path, name: str, spec) -> None:
    """A kernelspec inside the env, as a pack could ship it."""
    folder = prefix / "share" / "jupyter" / "kernels" / name
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps(spec))


def launcher(program: str = "python") -> list[str]:
    return [program, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def test_shipped_kernelspecs_run_the_envs_interpreter_with_our_variables(installed):
    prefix = Path(installed["prefix"])
    (prefix / "bin" / "evil").symlink_to("/bin/sh")
    hostile = {
        "shell": ["/bin/sh", "-c", "echo pwned"],
        "outside": launcher("/usr/bin/python3"),
        "linked-out": launcher("evil"),
        "relative": launcher("../python"),
        "missing": launcher("julia"),
    }
    for name, argv in hostile.items():
        ship(prefix, name, {"argv": argv, "display_name": name, "language": "python"})
    ship(prefix, "a-list", ["python", "-m", "ipykernel_launcher"])
    variables = {"LD_PRELOAD": "/nowhere/evil.so", "PYTHONPATH": "/nowhere", "PATH": "/evil",
                 "PYTHONSTARTUP": "/nowhere/start.py", "CONDA_PREFIX": "/evil", "MPLBACKEND": "agg"}  # fmt: skip
    ship(prefix, "loaded", {"argv": launcher(), "display_name": "Loaded", "env": variables})
    progress = RecordingProgress()
    document = read_manifest(prefix)
    names = register_kernels(prefix, prefix.name, document["manifest"], document, progress)

    loaded = kernel_name(prefix.name, "loaded")
    assert sorted(names) == sorted([*installed["kernels"], loaded])
    warnings = "\n".join(progress.warnings)
    for name in [*hostile, "a-list"]:
        assert f"kernelspec '{name}' is skipped" in warnings
        assert not (kernels_dir() / kernel_name(prefix.name, name)).exists()
    assert "not passed on: CONDA_PREFIX, LD_PRELOAD, PATH, PYTHONPATH, PYTHONSTARTUP" in warnings
    spec = json.loads((kernels_dir() / loaded / "kernel.json").read_text())
    assert spec["argv"][0] == str(prefix / "bin" / "python")
    report = run_report(loaded)
    assert report["path0"] == str(prefix / "bin") and report["conda_prefix"] == str(prefix)
    assert report["prefix"] == str(prefix)
    assert report["hostile"] == [] and report["shipped"] == "agg"


def test_an_install_never_replaces_another_envs_or_a_foreign_kernel(installed, tmp_path):
    first = Path(installed["prefix"])
    main_kernel = kernel_name("testenv_v1_0")
    foreign = kernels_dir() / "conda-pack-testenv_v1_0-cpe-echo"  # the shipped one's name
    shutil.rmtree(foreign)
    foreign.mkdir()
    (foreign / "kernel.json").write_text(json.dumps({"argv": ["x"], "display_name": "Mine"}))

    second_folder = tmp_path / "second" / "conda"
    second = install_pack(
        LocalFileSource(Path(installed["pack_uri"])),
        load_settings(conda_pack_folder=str(second_folder)),
    )
    assert len(second["kernels"]) == 2 and not set(second["kernels"]) & set(installed["kernels"])
    assert all(name.startswith(main_kernel) for name in second["kernels"])
    spec = json.loads((kernels_dir() / main_kernel / "kernel.json").read_text())
    assert spec["metadata"]["conda_pack_ext"]["prefix"] == str(first)
    assert json.loads((foreign / "kernel.json").read_text())["display_name"] == "Mine"
    for name in second["kernels"]:
        assert run_report(name)["prefix"] == second["prefix"]


def test_shipped_names_that_collide_within_an_env_get_their_own_kernels(installed):
    prefix = Path(installed["prefix"])
    ship(prefix, "Twin", {"argv": launcher(), "display_name": "Upper"})
    ship(prefix, "twin", {"argv": launcher(), "display_name": "Lower"})
    document = read_manifest(prefix)
    names = register_kernels(prefix, prefix.name, document["manifest"], document, Progress())
    twins = [n for n in names if n.startswith(kernel_name(prefix.name, "twin"))]
    assert len(twins) == 2
    shown = {
        json.loads((kernels_dir() / n / "kernel.json").read_text())["display_name"] for n in twins
    }
    assert shown == {"Upper [conda env:testenv_v1_0]", "Lower [conda env:testenv_v1_0]"}


def test_a_kernel_json_that_is_not_an_object_is_ignored(installed):
    odd = kernels_dir() / "odd"
    odd.mkdir()
    (odd / "kernel.json").write_text("[1, 2, 3]")
    settings = load_settings(conda_pack_folder=str(Path(installed["prefix"]).parent))
    assert [e["slug"] for e in list_local(settings)] == ["testenv_v1_0"]
    assert odd.is_dir()
