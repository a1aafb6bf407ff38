"""Environment files, ADS's slug rule and the manifest format (no environments built here)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from conda_pack_ext.envfile import (
    load_env_file,
    make_slug,
    parse_env_text,
    resolve_identity,
    spec_name,
    validate_slug,
)
from conda_pack_ext.errors import InvalidInput, NotFound
from conda_pack_ext.manifest import ads_create_date, read_manifest, update_manifest, write_manifest


@pytest.mark.parametrize(
    ("name", "version", "slug"),
    [
        ("My Env", "1.0", "myenv_v1_0"),
        ("test Abc", "1", "testabc_v1"),
        ("my-env", "2.1.3", "my-env_v2_1_3"),
        ("Foo.Bar", "1", "foo_bar_v1"),
    ],
)
def test_slug_follows_ads(name, version, slug):
    assert make_slug(name, version) == slug


@pytest.mark.parametrize(
    "slug", ["", "  ", "a/b", "..", "../x", ".hidden", "a\x00b", "tab\there", "x@y", "a#b",
             "a$b", "a%b", "a^b", "a&b", "a*b", "a\\b"],
)  # fmt: skip
def test_unsafe_slugs_are_refused(slug):
    with pytest.raises(InvalidInput, match="invalid slug"):
        validate_slug(slug)


def test_identity_precedence(tmp_path):
    env = parse_env_text(
        "name: file name\nmanifest: {name: Manifest Name, version: 2.5}\ndependencies: [python]\n",
        tmp_path,
    )
    assert resolve_identity(env) == ("Manifest Name", "2.5", "manifestname_v2_5")
    assert resolve_identity(env, name="Flag", version="3").slug == "flag_v3"
    plain = parse_env_text("name: Plain Env\ndependencies: [python]\n", tmp_path)
    assert resolve_identity(plain) == ("Plain Env", "1.0", "plainenv_v1_0")
    with_slug = parse_env_text("name: x\nmanifest: {slug: chosen_slug}\n", tmp_path)
    assert resolve_identity(with_slug, name="other").slug == "chosen_slug"


def test_missing_name_is_a_clear_error(tmp_path):
    env = parse_env_text("dependencies: [python]\n", tmp_path)
    with pytest.raises(InvalidInput, match="no environment name") as caught:
        resolve_identity(env)
    assert "-n/--name" in caught.value.hint


def test_unsafe_manifest_slug_is_refused(tmp_path):
    env = parse_env_text("name: x\nmanifest: {slug: ../../etc}\n", tmp_path)
    with pytest.raises(InvalidInput, match="invalid slug"):
        resolve_identity(env)


def test_malformed_yaml_names_line_and_column(tmp_path):
    path = tmp_path / "env.yaml"
    path.write_text("name: x\ndependencies:\n  - python\n  - [unclosed\n")
    with pytest.raises(InvalidInput) as caught:
        load_env_file(path)
    message = caught.value.message
    assert str(path) in message
    assert re.search(r"line \d+, column \d+", message)


def test_missing_file(tmp_path):
    with pytest.raises(NotFound, match="not found"):
        load_env_file(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- just a list\n", "must be a YAML mapping"),
        ("name: x\nchannels: conda-forge\n", "channels must be a list"),
        ("name: x\ndependencies: python\n", "dependencies must be a list"),
        ("name: x\ndependencies: [{conda: [x]}]\n", "unsupported dependency"),
        ("name: x\ndependencies: [{pip: numpy}]\n", "pip section must be a list"),
        ("name: x\nvariables: [A]\n", "variables must map"),
        ("name: x\nmanifest: [1]\n", "manifest must be a mapping"),
    ],
)
def test_invalid_structure(tmp_path, text, problem):
    with pytest.raises(InvalidInput, match=problem):
        parse_env_text(text, tmp_path)


def test_sections_are_read(tmp_path):
    env = parse_env_text(
        "name: x\nchannels: [conda-forge]\n"
        "dependencies:\n  - python=3.11\n  - conda-forge::numpy>=1,<2\n"
        "  - pip:\n    - requests==2.0\n    - -r extra.txt\n    - ./local_pkg\n"
        "    - --index-url https://example.org/simple\n"
        "variables: {A: 1, B: true}\n",
        tmp_path,
    )
    assert env.conda_specs == ["python=3.11", "conda-forge::numpy>=1,<2"]
    assert env.variables == {"A": "1", "B": "true"}
    assert env.requests("numpy") and env.requests("requests") and not env.requests("ipykernel")
    assert env.resolved_pip_lines() == [
        "requests==2.0",
        f"-r {tmp_path / 'extra.txt'}",
        str(tmp_path / "local_pkg"),
        "--index-url https://example.org/simple",
    ]


@pytest.mark.parametrize(
    ("spec", "name"),
    [("numpy", "numpy"), ("numpy=1.2", "numpy"), ("numpy>=1,<2", "numpy"),
     ("numpy=1.2=py_0", "numpy"), ("conda-forge::NumPy 1.2", "numpy"), ("ruamel.yaml", "ruamel-yaml")],
)  # fmt: skip
def test_spec_names(spec, name):
    assert spec_name(spec) == name


def test_create_date_is_written_as_ads_writes_it():
    when = datetime(2025, 1, 6, 14, 3, 9, tzinfo=timezone.utc)
    # ADS formats a naive UTC time, so %Z is empty: two spaces before "UTC"
    assert ads_create_date(when) == "Mon, Jan 06, 2025, 14:03:09  UTC"


def test_manifest_round_trip_drops_empty_fields(tmp_path: Path):
    prefix = tmp_path / "demo_v1_0"
    prefix.mkdir()
    document = {
        "name": "demo",
        "dependencies": ["python"],
        "manifest": {"name": "demo", "slug": "demo_v1_0", "description": "", "libraries": [],
                     "kernel": False, "size_mb": 0},
    }  # fmt: skip
    path = write_manifest(prefix, document)
    assert path == prefix / "demo_v1_0_manifest.yaml"
    stored = yaml.safe_load(path.read_text())
    assert stored["manifest"] == {
        "name": "demo",
        "slug": "demo_v1_0",
        "kernel": False,
        "size_mb": 0,
    }
    update_manifest(prefix, sha256="abc", kernel=None)
    assert read_manifest(prefix)["manifest"] == {
        "name": "demo",
        "slug": "demo_v1_0",
        "size_mb": 0,
        "sha256": "abc",
    }


def test_read_manifest_without_one(tmp_path):
    with pytest.raises(NotFound, match="no \\*_manifest.yaml"):
        read_manifest(tmp_path)
