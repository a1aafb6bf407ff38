"""`create`: real environments from the local test channel, built by the embedded engine."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import yaml
from jupyter_client.kernelspec import KernelSpecManager

from conda_pack_ext.cli import main
from conda_pack_ext.create import create_env
from conda_pack_ext.engines import EXTERNAL_TOOLS, find_tool
from conda_pack_ext.errors import BuildFailed, Cancelled, Conflict, InvalidInput, NotFound
from conda_pack_ext.kernels import kernel_name
from conda_pack_ext.manifest import read_manifest
from tests.support.channel import BINARY_HEAD, LATEST, PYTHON_VERSION, TEST_APP, TEST_LIB
from tests.support.disks import small_tmpfs
from tests.support.envfiles import build_wheel, settings_for, write_env_file
from tests.support.kernels import run_in_kernel
from tests.support.progress import RecordingProgress

pytestmark = pytest.mark.slow

ADS_DATE = re.compile(r"^[A-Z][a-z]{2}, [A-Z][a-z]{2} \d\d, \d{4}, \d\d:\d\d:\d\d  UTC$")


@pytest.fixture(scope="module")
def built(conda_channel, tmp_path_factory):
    """One environment for the module, made through the CLI: python, the test app, a pip
    section installing a local wheel through a requirements file, and variables. The
    channel is given relative to the environment file's folder."""
    root = tmp_path_factory.mktemp("create")
    project = root / "project"
    build_wheel(project / "wheels")
    project.joinpath("requirements.txt").write_text("./wheels/cpe_wheeltest-0.1-py3-none-any.whl\n")
    env_file = write_env_file(
        project,
        "Create Test",
        [os.path.relpath(conda_channel, project)],
        ["python", TEST_APP, {"pip": ["-r requirements.txt"]}],
        variables={"CPE_GREETING": "hello"},
        manifest={"description": "built by the tests"},
    )
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(
            ["--ads-config", str(root / "ads"), "create", "-f", str(env_file), "-v", "2.0",
             "--conda-pack-folder", str(root / "conda"), "--json"]
        )  # fmt: skip
    assert code == 0
    return json.loads(out.getvalue()), root / "conda"


def test_cli_json_answer(built):
    answer, folder = built
    assert answer == {
        "slug": "createtest_v2_0",
        "prefix": str(folder / "createtest_v2_0"),
        "manifest": str(folder / "createtest_v2_0" / "createtest_v2_0_manifest.yaml"),
        "name": "Create Test",
        "version": "2.0",
    }


def test_manifest_fields(built):
    answer, _ = built
    document = yaml.safe_load(Path(answer["manifest"]).read_text())
    manifest = document["manifest"]
    assert document["name"] == "Create Test"  # the environment file as given
    assert document["variables"] == {"CPE_GREETING": "hello"}
    assert manifest["name"] == "Create Test"
    assert manifest["version"] == "2.0"
    assert manifest["slug"] == "createtest_v2_0"
    assert manifest["type"] == "published"
    assert manifest["arch_type"] == "CPU"
    assert manifest["manifest_version"] == "1.0"
    assert ADS_DATE.match(manifest["create_date"]), manifest["create_date"]
    assert manifest["python"] == PYTHON_VERSION
    assert manifest["created_by"].startswith("conda-pack-ext ")
    assert manifest["engine"] == "rattler"
    assert manifest["description"] == "built by the tests"
    assert manifest["kernel"] is True
    assert f"{TEST_APP}={LATEST[TEST_APP]}" in manifest["libraries"]
    assert f"python={PYTHON_VERSION}" in manifest["libraries"]
    assert "sha256" not in manifest and "size_mb" not in manifest


def test_dependencies_resolved_and_prefix_written(built):
    answer, _ = built
    prefix = Path(answer["prefix"])
    records = {p.name.rsplit("-", 2)[0] for p in (prefix / "conda-meta").glob("*.json")}
    assert {"python", TEST_APP, TEST_LIB, "ipykernel", "pip"} <= records
    assert list((prefix / "conda-meta").glob(f"{TEST_LIB}-{LATEST[TEST_LIB]}-*.json"))
    assert (prefix / f"share/{TEST_LIB}/prefix.txt").read_text().strip() == str(prefix)
    binary = (prefix / f"share/{TEST_LIB}/prefix.bin").read_bytes()
    assert binary[len(BINARY_HEAD) :].split(b"\0", 1)[0].decode() == str(prefix)


def test_env_python_runs_with_pip_wheel_and_kernel(built):
    answer, _ = built
    prefix = Path(answer["prefix"])
    code = (
        "import sys, cpe_testapp, cpe_wheeltest, ipykernel; print(sys.prefix, cpe_wheeltest.VALUE)"
    )
    result = subprocess.run(
        [str(prefix / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(prefix), "from-wheel"]


def test_variables_where_conda_keeps_them(built):
    answer, _ = built
    state = json.loads((Path(answer["prefix"]) / "conda-meta" / "state").read_text())
    assert state == {"env_vars": {"CPE_GREETING": "hello"}}


def test_pack_folder_holds_only_the_env(built):
    _, folder = built
    assert sorted(p.name for p in folder.iterdir()) == [".locks", "createtest_v2_0"]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != ".locks") if folder.exists() else []


def test_created_env_runs_as_a_kernel_at_once(conda_channel, tmp_path):
    env_file = write_env_file(tmp_path / "project", "Kernel Test", [conda_channel], [TEST_APP])
    result = create_env(settings_for(tmp_path / "conda"), env_file)
    assert result["kernels"] == [kernel_name(result["slug"])]
    spec = KernelSpecManager().get_kernel_spec(result["kernels"][0])
    assert spec.display_name == f"Python [conda env:{result['slug']}]"
    printed = run_in_kernel(
        result["kernels"][0], "import sys, cpe_testapp; print(sys.prefix, cpe_testapp.__name__)"
    )
    assert printed.split() == [result["prefix"], "cpe_testapp"]


def test_overwrite_keeps_old_env_when_new_build_fails(conda_channel, tmp_path):
    settings = settings_for(tmp_path / "conda")
    project = tmp_path / "project"
    good = write_env_file(project, "keep", [conda_channel], [f"{TEST_LIB}=1.0"], "good.yaml")
    first = create_env(settings, good, no_kernel=True)
    prefix = Path(first["prefix"])
    manifest_before = Path(first["manifest"]).read_text()
    assert read_manifest(prefix)["manifest"]["kernel"] is False  # --no-kernel: none added
    assert not list((prefix / "conda-meta").glob("ipykernel-*.json"))

    with pytest.raises(Conflict, match="already exists"):
        create_env(settings, good)

    bad = write_env_file(project, "keep", [conda_channel], [f"{TEST_LIB}>=9"], "bad.yaml")
    with pytest.raises(BuildFailed, match=TEST_LIB):
        create_env(settings, bad, overwrite=True)
    assert Path(first["manifest"]).read_text() == manifest_before
    assert _leftovers(tmp_path / "conda") == ["keep_v1_0"]
    text = (prefix / f"share/{TEST_LIB}/prefix.txt").read_text().strip()
    assert text == str(prefix)  # back at its own path, relocation intact

    newer = write_env_file(project, "keep", [conda_channel], [f"{TEST_LIB}=1.1"], "newer.yaml")
    create_env(settings, newer, overwrite=True, no_kernel=True)
    assert f"{TEST_LIB}=1.1" in read_manifest(prefix)["manifest"]["libraries"]
    assert _leftovers(tmp_path / "conda") == ["keep_v1_0"]


def test_overwrite_never_replaces_a_folder_that_is_not_an_env(conda_channel, tmp_path):
    folder = tmp_path / "home"
    (folder / "Documents").mkdir(parents=True)
    (folder / "Documents" / "notes.txt").write_text("mine")
    env_file = write_env_file(
        tmp_path / "project", "docs", [conda_channel], [TEST_LIB], manifest={"slug": "Documents"}
    )
    with pytest.raises(Conflict, match="not a conda environment") as refused:
        create_env(settings_for(folder), env_file, overwrite=True, no_kernel=True)
    assert str(folder / "Documents") in refused.value.message
    assert (folder / "Documents" / "notes.txt").read_text() == "mine"
    assert _leftovers(folder) == ["Documents"]


BAD_INPUTS = {
    "malformed YAML": ("name: x\ndependencies: [python\n", {}, InvalidInput, r"line \d+, column \d+"),
    "unsolvable spec": (None, {"deps": [f"{TEST_LIB}>=9"]}, BuildFailed, TEST_LIB),
    "unreachable channel": (None, {"channel": "file:///nonexistent/channel"}, BuildFailed,
                            "/nonexistent/channel"),
    "unknown engine": (None, {"engine": "pixi"}, InvalidInput, "unknown engine 'pixi'"),
    "unsafe slug": (None, {"manifest": {"slug": "../escape"}}, InvalidInput, "invalid slug"),
    "no name": ("dependencies: [python]\n", {}, InvalidInput, "no environment name"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_and_leaves_nothing(conda_channel, tmp_path, case):
    text, options, error_type, pattern = BAD_INPUTS[case]
    settings = settings_for(tmp_path / "conda")
    if text is None:
        extra = {"manifest": options["manifest"]} if "manifest" in options else {}
        path = write_env_file(
            tmp_path,
            "bad input",
            [options.get("channel", conda_channel)],
            options.get("deps", [TEST_LIB]),
            **extra,
        )
    else:
        path = tmp_path / "environment.yaml"
        path.write_text(text)
    with pytest.raises(error_type) as caught:
        create_env(settings, path, engine=options.get("engine"))
    assert re.search(pattern, str(caught.value)), str(caught.value)
    assert "\n" not in caught.value.message or error_type is BuildFailed
    assert _leftovers(tmp_path / "conda") == []


def test_missing_environment_file(tmp_path):
    with pytest.raises(NotFound, match="not found"):
        create_env(settings_for(tmp_path / "conda"), tmp_path / "missing.yaml")
    assert _leftovers(tmp_path / "conda") == []


class CancelWhenLinking(RecordingProgress):
    """Cancels the build as soon as packages start being linked, as a user's click would."""

    def on_change(self) -> None:
        if self.phase_name == "linking":
            self.cancel_event.set()


def test_cancel_removes_the_partial_env(conda_channel, tmp_path):
    settings = settings_for(tmp_path / "conda")
    path = write_env_file(tmp_path, "cancelled", [conda_channel], ["python", TEST_APP])
    progress = CancelWhenLinking()
    with pytest.raises(Cancelled):
        create_env(settings, path, progress=progress)
    assert _leftovers(tmp_path / "conda") == []
    # the build marker was reported: a job runner undoes the build if the process dies
    assert progress.temp_paths == [tmp_path / "conda" / ".cancelled_v1_0.building"]


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MB tmpfs: too small for the test python (about 130 MB installed)."""
    with small_tmpfs(tmp_path / "small", "24m") as mount_point:
        yield mount_point


def test_full_disk_is_a_clear_error(conda_channel, tmp_path, small_disk):
    settings = settings_for(small_disk / "conda")
    path = write_env_file(tmp_path, "full", [conda_channel], ["python", TEST_APP])
    with pytest.raises(BuildFailed, match="disk is full"):
        create_env(settings, path)
    assert _leftovers(small_disk / "conda") == []


def test_conda_engine_with_a_real_executable(conda_channel, tmp_path):
    tool = next((t for t in EXTERNAL_TOOLS if find_tool(t)), None)
    if tool is None:
        pytest.skip(
            "no conda, mamba or micromamba executable on PATH (CI proves the rattler engine)"
        )
    settings = settings_for(tmp_path / "conda")
    path = write_env_file(tmp_path, "by tool", [conda_channel], ["python", TEST_APP])
    result = create_env(settings, path, engine=tool)
    manifest = read_manifest(result["prefix"])["manifest"]
    assert manifest["engine"] == tool
    assert manifest["python"] == PYTHON_VERSION
    prefix = Path(result["prefix"])
    assert (prefix / f"share/{TEST_LIB}/prefix.txt").read_text().strip() == str(prefix)


def test_cli_error_is_one_paragraph(tmp_path, capsys):
    path = tmp_path / "environment.yaml"
    path.write_text("name: x\ndependencies: [python\n")
    code = main(["create", "-f", str(path), "--conda-pack-folder", str(tmp_path / "c")])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "line" in err and "Traceback" not in err
    assert sys.executable  # the CLI ran in-process
