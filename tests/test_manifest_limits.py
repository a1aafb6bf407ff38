"""Environment files and manifests are untrusted: an alias bomb (a few hundred bytes of
YAML that expand to millions of strings) or an oversized document is refused in bounded
time and memory, by create, install, list and the REST API, and loses nothing."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from conda_pack_ext.envfile import parse_env_text
from conda_pack_ext.errors import InvalidInput
from conda_pack_ext.install import LocalFileSource, install_pack
from conda_pack_ext.kernels import kernels_dir
from conda_pack_ext.local_envs import list_local
from conda_pack_ext.safe_yaml import MAX_DOCUMENT_BYTES, MAX_ITEMS, MAX_STRING_CHARS
from conda_pack_ext.settings import load_settings
from tests.support.bombs import alias_bomb, bomb_pack
from tests.support.cli import cli_error, cli_run
from tests.support.packs import (  # noqa: F401 (session fixtures)
    packs_dir_fixture,
    python_pack_fixture,
)

ALIASES_REFUSED = "anchors and aliases"


def folder_state(folder: Path) -> dict[str, str]:
    """Every file under `folder` (and the Jupyter kernels dir) with its content's size and
    mtime, to show that a refused operation changed nothing."""
    state = {}
    for root in (folder, kernels_dir()):
        for path in sorted(root.rglob("*")) if root.exists() else []:
            if path.is_file() and ".locks" not in path.parts:
                stat = path.stat()
                state[str(path)] = f"{stat.st_size}-{stat.st_mtime_ns}"
    return state


def test_alias_bomb_environment_file_is_refused_by_create(tmp_path, capsys):
    env_file = tmp_path / "bomb.yaml"
    env_file.write_text(alias_bomb(levels=7, bomb_slug=True, variables=False))
    started = time.monotonic()
    error = cli_error(
        capsys, "create", "-f", str(env_file), "--conda-pack-folder", str(tmp_path / "conda")
    )
    assert time.monotonic() - started < 1
    assert ALIASES_REFUSED in error and "line 4" in error
    assert len(error) < 1000
    assert not (tmp_path / "conda" / "bomb_v1_0").exists()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name: x\nbig: " + "y" * (MAX_STRING_CHARS + 1) + "\n", "longer than"),
        ("name: x\ndependencies:\n" + "- python\n" * (MAX_ITEMS + 1), "more than"),
        ("name: x\nmanifest: {deep: " + "[" * 20 + "]" * 20 + "}\n", "nests deeper"),
        ("name: x\nmanifest: {libraries: [[a, b]]}\n", "list of plain values"),
        ("name: x\nmanifest: {name: [a, b]}\n", "plain value"),
        ("name: x\nvariables: {A: [1, 2]}\n", "plain values"),
        ("name: x\nprefix: {a: b}\n", "plain value"),
        ("name: &n x\nother: *n\n", ALIASES_REFUSED),
        ("# padding\n" * (MAX_DOCUMENT_BYTES // 10 + 1), "too large"),
    ],
)
def test_fields_are_plain_values_within_bounds(tmp_path, text, problem):
    with pytest.raises(InvalidInput, match=problem) as refused:
        parse_env_text(text, tmp_path)
    assert len(str(refused.value)) < 1000


def test_what_environment_files_legitimately_nest_still_reads(tmp_path):
    env = parse_env_text(
        "name: x\nchannels: [conda-forge]\n"
        "dependencies:\n  - python\n  - pip:\n    - requests\n"
        "variables: {A: 1, B: text}\n"
        "manifest: {name: x, version: 1.0, libraries: [numpy, pandas], created: 2025-01-06}\n",
        tmp_path,
    )
    assert env.pip_requirements == ["requests"] and env.variables == {"A": "1", "B": "text"}
    assert env.manifest["libraries"] == ["numpy", "pandas"]


@pytest.mark.slow
def test_alias_bomb_pack_is_refused_and_keeps_the_previous_env(tmp_path, python_pack):
    settings = load_settings(conda_pack_folder=str(tmp_path / "conda"))
    previous = install_pack(LocalFileSource(python_pack), settings)
    before = folder_state(settings.pack_folder)
    bomb = bomb_pack(tmp_path / "testenv_v1_0.tar.gz", "testenv_v1_0")
    assert bomb.stat().st_size < 1000
    with pytest.raises(InvalidInput, match=ALIASES_REFUSED) as refused:
        install_pack(LocalFileSource(bomb), settings, overwrite=True)
    assert len(str(refused.value)) < 1000
    assert folder_state(settings.pack_folder) == before
    assert sorted(p.name for p in kernels_dir().iterdir()) == sorted(previous["kernels"])
    listed = list_local(settings)
    assert [(e["slug"], e["pack_uri"]) for e in listed] == [("testenv_v1_0", str(python_pack))]


def test_alias_bomb_pack_into_an_empty_folder_registers_nothing(tmp_path):
    settings = load_settings(conda_pack_folder=str(tmp_path / "conda"))
    bomb = bomb_pack(tmp_path / "bomb_v1_0.tar.gz", "bomb_v1_0")
    with pytest.raises(InvalidInput, match=ALIASES_REFUSED):
        install_pack(LocalFileSource(bomb), settings)
    assert [p.name for p in settings.pack_folder.iterdir() if p.name != ".locks"] == []
    assert not kernels_dir().exists() or list(kernels_dir().iterdir()) == []


def test_listing_a_folder_with_a_bomb_manifest_on_disk_stays_small(tmp_path, capsys):
    folder = tmp_path / "conda"
    prefix = folder / "bomb_v1_0"
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "bomb_v1_0_manifest.yaml").write_text(alias_bomb(levels=7))
    started = time.monotonic()
    listed, _ = cli_run(capsys, "list", "--conda-pack-folder", str(folder))
    assert time.monotonic() - started < 2
    assert [(e["slug"], e["managed"]) for e in listed] == [("bomb_v1_0", False)]
    assert len(json.dumps(listed)) < 2000


# ---- over REST ---------------------------------------------------------------------------


async def test_alias_bomb_over_rest_is_refused_quickly_and_the_server_keeps_answering(jp_fetch):
    body = {
        "kind": "create",
        "params": {"environment": alias_bomb(levels=7, bomb_slug=True, variables=False)},
    }
    await jp_fetch("api", "status")
    post = asyncio.ensure_future(
        jp_fetch("conda-pack-ext", "jobs", method="POST", body=json.dumps(body), raise_error=False)
    )
    started = time.monotonic()
    latencies = []
    while not post.done():
        asked = time.monotonic()
        await jp_fetch("api", "status")
        latencies.append(time.monotonic() - asked)
    answered = time.monotonic() - started
    response = post.result()
    assert response.code == 400
    assert answered < 1
    assert max(latencies) < 0.1
    error = json.loads(response.body)
    assert ALIASES_REFUSED in error["message"]
    assert len(response.body) < 1000
    jobs = json.loads((await jp_fetch("conda-pack-ext", "jobs")).body)
    assert jobs["jobs"] == []
