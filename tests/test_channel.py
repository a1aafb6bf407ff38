"""The local conda channel: real packages that rattler solves and installs into a working env
whose files name the env's own prefix."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rattler

from tests.support.channel import (
    IPYKERNEL_VERSION,
    LATEST,
    PIP_VERSION,
    PYTHON_VERSION,
    SUBDIR,
    TEST_APP,
    TEST_LIB,
    TEST_PACKAGES,
    build_channel,
    channel_url,
    create_env,
)

LIB_1_0_FIRST_BUILD = next(p for p in TEST_PACKAGES if p.name == TEST_LIB and p.build_number == 0)


def run_in_env(prefix: Path, *args: str) -> subprocess.CompletedProcess:
    """Run a command from the env with none of the test runner's Python settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run(
        [str(prefix / "bin" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )


def solve(channel: Path, *specs: str) -> dict[str, str]:
    """Solve conda specs against the channel (without installing): name -> version=build."""
    records = asyncio.run(
        rattler.solve(
            [rattler.Channel(channel_url(channel))],
            [rattler.MatchSpec(spec) for spec in specs],
            platforms=[SUBDIR, "noarch"],
        )
    )
    return {r.name.normalized: f"{r.version}={r.build}" for r in records}


@pytest.fixture(scope="module")
def kernel_env(conda_channel, tmp_path_factory) -> Path:
    """An env with python, pip, ipykernel and the test app, installed by rattler."""
    prefix = tmp_path_factory.mktemp("channel") / "env"
    create_env(prefix, ["python", "pip", "ipykernel", TEST_APP], channel=conda_channel)
    return prefix


def test_solve_installs_python_ipykernel_and_the_test_packages(conda_channel, tmp_path):
    prefix = tmp_path / "env"
    installed = create_env(prefix, ["python", "ipykernel", TEST_APP], channel=conda_channel)

    names = {spec.split("=")[0]: spec for spec in installed}
    assert names["python"].startswith(f"python={PYTHON_VERSION}=")
    assert names["ipykernel"].startswith(f"ipykernel={IPYKERNEL_VERSION}=")
    assert names[TEST_APP].startswith(f"{TEST_APP}={LATEST[TEST_APP]}=")
    assert names[TEST_LIB].startswith(f"{TEST_LIB}={LATEST[TEST_LIB]}=")  # pulled in by the app
    assert "pip" not in names  # python does not drag pip in
    assert (prefix / "conda-meta").is_dir()


def test_env_python_runs_from_the_env_and_imports_ipykernel(kernel_env):
    probe = (
        "import json, sys, ipykernel, zmq, ssl, sqlite3, ctypes;"
        "print(json.dumps({'prefix': sys.prefix, 'version': sys.version.split()[0],"
        " 'ipykernel': ipykernel.__version__, 'file': ipykernel.__file__}))"
    )
    found = json.loads(run_in_env(kernel_env, "python", "-c", probe).stdout)

    assert Path(found["prefix"]) == kernel_env
    assert found["version"] == PYTHON_VERSION
    assert found["ipykernel"] == IPYKERNEL_VERSION
    assert Path(found["file"]).is_relative_to(kernel_env)


def test_env_interpreter_loads_its_libraries_from_the_env_or_the_system(kernel_env):
    ldd = subprocess.run(
        ["ldd", str(kernel_env / "bin" / "python")], capture_output=True, text=True
    ).stdout
    assert "not found" not in ldd
    for line in ldd.splitlines():
        if "libpython" in line:
            assert str(kernel_env) in line
    assert not (kernel_env / "lib" / f"python{PYTHON_VERSION.rsplit('.', 1)[0]}" / "test").exists()


def test_test_packages_hold_the_install_prefix_not_the_placeholder(kernel_env):
    probe = (
        "import json, cpe_testlib, cpe_testapp;"
        "print(json.dumps([cpe_testlib.INSTALL_PREFIX, cpe_testlib.text_prefix(),"
        " cpe_testlib.binary_prefix(), cpe_testapp.INSTALL_PREFIX, cpe_testapp.text_prefix(),"
        " cpe_testapp.binary_prefix()]))"
    )
    seen = json.loads(run_in_env(kernel_env, "python", "-c", probe).stdout)
    assert seen == [str(kernel_env)] * 6

    for package in (p for p in TEST_PACKAGES if p.name in (TEST_LIB, TEST_APP)):
        text = (kernel_env / package.text_file).read_text()
        binary = (kernel_env / package.binary_file).read_bytes()
        assert text == f"{kernel_env}\n"
        assert f"{kernel_env}\0".encode() in binary
        assert b"placehold" not in binary and b"\0" in binary

    # The app's console script runs the env's python through a relocated shebang.
    shebang = (kernel_env / "bin" / TEST_APP).read_text().splitlines()[0]
    assert shebang == f"#!{kernel_env}/bin/python"
    output = run_in_env(kernel_env, TEST_APP).stdout
    assert f"{TEST_LIB} {LATEST[TEST_LIB]} {kernel_env}" in output


def test_pip_works_inside_the_env(kernel_env):
    by_module = run_in_env(kernel_env, "python", "-m", "pip", "--version").stdout
    by_script = run_in_env(kernel_env, "pip", "--version").stdout

    assert by_module.startswith(f"pip {PIP_VERSION} from {kernel_env}/")
    assert by_script == by_module


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (f"{TEST_LIB}", f"{LATEST[TEST_LIB]}=cpe_0"),
        (f"{TEST_LIB}=1.0", "1.0=cpe_1"),  # highest build of 1.0
        (f"{TEST_LIB}>=1,<2", f"{LATEST[TEST_LIB]}=cpe_0"),
        (LIB_1_0_FIRST_BUILD.spec, "1.0=cpe_0"),
    ],
)
def test_solver_honours_versions_and_builds(conda_channel, spec, expected):
    assert solve(conda_channel, spec)[TEST_LIB] == expected


def test_channel_is_reused_from_the_cache(conda_channel):
    started = time.monotonic()
    again = build_channel()
    assert again == conda_channel
    assert time.monotonic() - started < 2

    repodata = json.loads((conda_channel / SUBDIR / "repodata.json").read_text())
    names = {record["name"] for record in repodata["packages.conda"].values()}
    assert {"python", "pip", "ipykernel", TEST_LIB, TEST_APP} <= names


@pytest.mark.slow
def test_two_processes_building_at_once_share_one_channel(tmp_path):
    cache = tmp_path / "cache"
    command = [sys.executable, "-m", "tests.support.channel", "--cache-dir", str(cache)]
    repo = Path(__file__).resolve().parents[1]
    builders = [
        subprocess.Popen(command, cwd=repo, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    paths = [builder.communicate(timeout=300)[0].strip() for builder in builders]

    assert [builder.returncode for builder in builders] == [0, 0]
    assert paths[0] == paths[1]
    channels = [p for p in cache.iterdir() if p.is_dir() and p.name.startswith("channel-")]
    assert [str(p) for p in channels] == [paths[0]]  # no half-built folder left behind
    assert (Path(paths[0]) / SUBDIR / "repodata.json").is_file()
