"""Reproducible packs, end to end on the local channel: the lock and SBOM every pack carries,
`inspect`, `create --from-lock` after the channel has moved on, `create --clone`, `diff`
and `sbom`, for our packs and for packs without a lock (plain conda-pack)."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml
from rattler.explicit_environment import ExplicitEnvironmentSpec

from conda_pack_ext.cli import main
from conda_pack_ext.create import create_env
from conda_pack_ext.install import LocalFileSource, install_pack
from conda_pack_ext.manifest import read_manifest
from conda_pack_ext.pack import pack_env
from conda_pack_ext.settings import load_settings
from tests.support.channel import TEST_APP, TEST_LIB
from tests.support.cli import cli_error, cli_json
from tests.support.envfiles import build_wheel, write_env_file
from tests.support.moving_channel import add_package_version, copy_channel
from tests.support.packs import make_plain_conda_pack

pytestmark = pytest.mark.slow

SLUG = "repro_v1_0"
WHEEL = "cpe-wheeltest"


@pytest.fixture(scope="module")
def original(conda_channel, tmp_path_factory) -> dict:
    """An env from a private copy of the channel (python, the test app, a pip wheel),
    packed: the pack a user would rebuild months later."""
    root = tmp_path_factory.mktemp("reproduce")
    channel = copy_channel(conda_channel, root / "channel")
    wheel = build_wheel(root / "wheels")
    env_file = write_env_file(
        root / "envfile", "repro", [channel], ["python", TEST_APP, {"pip": [str(wheel)]}],
        manifest={"name": "repro", "version": "1.0"},
    )  # fmt: skip
    folder = root / "conda"
    settings = load_settings(conda_pack_folder=str(folder))
    create_env(settings, env_file, no_kernel=True)
    pack = Path(pack_env(settings, SLUG, compress_level=1)["pack_path"])
    return {"root": root, "channel": channel, "folder": folder, "pack": pack, "env": env_file}


def rows(packages: list[dict]) -> set[tuple]:
    return {(p["name"], p["version"], p["build"], p["kind"]) for p in packages}


def env_python(prefix: Path, code: str) -> str:
    command = [str(prefix / "bin" / "python"), "-c", code]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def test_every_pack_carries_a_lock_that_rattler_parses(original):
    pack = original["pack"]
    with tarfile.open(pack) as tar:
        lock_text = tar.extractfile(f"{SLUG}.explicit.txt").read().decode()
        sbom = json.loads(tar.extractfile(f"{SLUG}.cdx.json").read())
        packed_manifest = yaml.safe_load(tar.extractfile(f"{SLUG}_manifest.yaml"))["manifest"]
    assert (pack.parent / f"{SLUG}.explicit.txt").read_text() == lock_text
    # conda's explicit format, as rattler's own parser reads it
    spec = ExplicitEnvironmentSpec.from_str(lock_text)
    assert str(spec.platform) == "linux-64"
    conda_meta = sorted((original["folder"] / SLUG / "conda-meta").glob("*.json"))
    assert sorted(p.url.split("#")[0] for p in spec.packages) == sorted(
        json.loads(path.read_text())["url"] for path in conda_meta
    )
    assert f"# pypi: {WHEEL.replace('-', '_')}" in lock_text or f"# pypi: {WHEEL}" in lock_text
    assert packed_manifest["lock_conda"] == len(conda_meta)
    assert packed_manifest["lock_pypi"] == 1
    on_disk = read_manifest(original["folder"] / SLUG)["manifest"]
    assert on_disk["lock_sha256"] == packed_manifest["lock_sha256"]
    assert {c["name"] for c in sbom["components"]} >= {"python", TEST_LIB, TEST_APP, WHEEL}


def test_inspect_a_pack_and_an_installed_env(original, capsys):
    from_pack = cli_json(capsys, "inspect", str(original["pack"]))
    assert from_pack["has_lock"] is True and from_pack["platform"] == "linux-64"
    assert from_pack["manifest"]["slug"] == SLUG
    assert from_pack["python"] and from_pack["size"] == original["pack"].stat().st_size
    names = {(p["name"], p["kind"]) for p in from_pack["packages"]}
    assert {("python", "conda"), (TEST_LIB, "conda"), (WHEEL, "pypi")} <= names
    folder = str(original["folder"])
    from_env = cli_json(capsys, "inspect", SLUG, "--conda-pack-folder", folder)
    assert from_env["has_lock"] is False  # read from conda-meta and site-packages
    assert rows(from_env["packages"]) == rows(from_pack["packages"])


def test_sbom_is_valid_cyclonedx(original, tmp_path, capsys):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    output = tmp_path / "sbom.cdx.json"
    cli_json(capsys, "sbom", str(original["pack"]), "-o", str(output))
    text = output.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_5).validate_str(text) is None
    document = json.loads(text)
    purls = {c["name"]: c["purl"] for c in document["components"]}
    assert purls[TEST_LIB].startswith(f"pkg:conda/{TEST_LIB}@1.1?build=cpe_0")
    assert purls[WHEEL] == f"pkg:pypi/{WHEEL}@0.1"
    lib = next(c for c in document["components"] if c["name"] == TEST_LIB)
    assert lib["licenses"] == [{"license": {"id": "BSD-3-Clause"}}]
    assert {h["alg"] for h in lib["hashes"]} == {"SHA-256", "MD5"}
    packed = (original["pack"].parent / f"{SLUG}.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_5).validate_str(packed) is None


def test_from_lock_rebuilds_the_old_set_after_the_channel_moved_on(original, tmp_path, capsys):
    folder = str(original["folder"])
    before = cli_json(capsys, "inspect", str(original["pack"]))
    add_package_version(original["channel"], TEST_LIB, "1.2", tmp_path / "build")

    rebuilt = cli_json(capsys, "create", "--from-lock", str(original["pack"]), "-n", "rebuilt",
                       "--conda-pack-folder", folder)  # fmt: skip
    assert rebuilt["slug"] == "rebuilt_v1_0"
    after = cli_json(capsys, "inspect", "rebuilt_v1_0", "--conda-pack-folder", folder)
    assert rows(after["packages"]) == rows(before["packages"])
    prefix = Path(rebuilt["prefix"])
    assert env_python(prefix, "import cpe_testlib, cpe_wheeltest; print(cpe_testlib.__version__)"
                      ) == "1.1"  # fmt: skip
    assert env_python(prefix, "import cpe_testlib; print(cpe_testlib.text_prefix())") == str(prefix)

    # solving the environment file again takes the channel's new version
    solved = cli_json(capsys, "create", "-f", str(original["env"]), "-n", "solved", "--no-kernel",
                      "--conda-pack-folder", folder)  # fmt: skip
    assert env_python(Path(solved["prefix"]), "import cpe_testlib; print(cpe_testlib.__version__)"
                      ) == "1.2"  # fmt: skip

    difference = cli_json(capsys, "diff", str(original["pack"]), "solved_v1_0",
                          "--conda-pack-folder", folder)  # fmt: skip
    assert difference["changed"] == [
        {"name": TEST_LIB, "kind": "conda", "from_version": "1.1", "from_build": "cpe_0",
         "to_version": "1.2", "to_build": "cpe_0"}
    ]  # fmt: skip
    assert difference["added"] == [] and difference["removed"] == []
    # an environment file against what an env holds: only what it asks for counts
    pinned = write_env_file(tmp_path / "pinned", "p", [], ["python", f"{TEST_LIB}=1.1"])
    against = cli_json(capsys, "diff", str(pinned), "solved_v1_0", "--conda-pack-folder", folder)
    assert [(r["name"], r["from_version"], r["to_version"]) for r in against["changed"]] == [
        (TEST_LIB, f"{TEST_LIB}=1.1", "1.2")
    ]
    assert against["added"] == [] and against["removed"] == []


def test_from_lock_names_a_package_that_cannot_be_fetched_and_leaves_nothing(
    original, tmp_path, capsys
):
    text = (original["pack"].parent / f"{SLUG}.explicit.txt").read_text()
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if f"/{TEST_LIB}-1.1-cpe_0.conda" in line)
    lines[index] = lines[index].replace("1.1-cpe_0.conda", "0.9-cpe_0.conda").split("#")[0]
    lines[index - 1] = "# platform: linux-64"  # drop its sha256 line: a foreign lock
    lock = tmp_path / "old.explicit.txt"
    lock.write_text("\n".join(lines) + "\n")
    folder = tmp_path / "conda"
    error = cli_error(capsys, "create", "--from-lock", str(lock), "-n", "gone",
                      "--conda-pack-folder", str(folder))  # fmt: skip
    assert f"{TEST_LIB} 0.9 cpe_0" in error and f"{TEST_LIB}-0.9-cpe_0.conda" in error
    assert not (folder / "gone_v1_0").exists()
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == []


def test_bad_locks_and_non_envs_get_clear_errors(original, tmp_path, capsys):
    good = (original["pack"].parent / f"{SLUG}.explicit.txt").read_text()
    corrupt = tmp_path / "corrupt.txt"
    corrupt.write_text(good.replace("@EXPLICIT\n", "@EXPLICIT\nnot-a-url\n"))
    error = cli_error(capsys, "inspect", str(corrupt))
    assert str(corrupt) in error and "line 6" in error and "not a conda package URL" in error
    foreign = tmp_path / "foreign.txt"
    foreign.write_text(good.replace("# platform: linux-64", "# platform: osx-arm64"))
    error = cli_error(capsys, "create", "--from-lock", str(foreign), "-n", "x",
                      "--conda-pack-folder", str(tmp_path / "conda"))  # fmt: skip
    assert "is for osx-arm64" in error and str(foreign) in error
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    error = cli_error(capsys, "diff", str(notes), str(corrupt))
    assert f"{notes}, line 1" in error
    # a tarball that is not an env
    bare = tmp_path / "bare.tar.gz"
    with tarfile.open(bare, "w:gz") as tar:
        tar.add(str(notes), "notes.txt")
    error = cli_error(capsys, "inspect", str(bare))
    assert str(bare) in error and "no conda-meta/" in error


def test_a_plain_conda_pack_is_inspected_diffed_installed_and_cloned(
    conda_channel, original, tmp_path, capsys
):
    plain = make_plain_conda_pack(conda_channel, tmp_path, "plain_v1_0")
    summary = cli_json(capsys, "inspect", str(plain))
    assert summary["has_lock"] is False and summary["platform"] == "linux-64"
    assert {"python", TEST_APP, TEST_LIB, "ipykernel"} <= {p["name"] for p in summary["packages"]}
    difference = cli_json(capsys, "diff", str(plain), str(original["pack"]))
    assert [r["name"] for r in difference["added"]] == ["pip", WHEEL]  # the pip section
    assert [r["name"] for r in difference["removed"]] == ["ipykernel"]

    folder = tmp_path / "conda"
    settings = load_settings(conda_pack_folder=str(folder))
    install_pack(LocalFileSource(plain), settings, no_kernel=True)
    clone = cli_json(capsys, "create", "--clone", "plain_v1_0", "-n", "twin", "-v", "2",
                     "--no-kernel", "--conda-pack-folder", str(folder))  # fmt: skip
    prefix = Path(clone["prefix"])
    assert prefix == folder / "twin_v2"
    code = "import cpe_testlib as m; print(m.text_prefix(), m.binary_prefix())"
    assert env_python(prefix, code) == f"{prefix} {prefix}"
    source = folder / "plain_v1_0"
    assert env_python(source, code) == f"{source} {source}"  # the source is untouched
    manifest = read_manifest(prefix)["manifest"]
    assert (manifest["name"], manifest["version"], manifest["slug"]) == ("twin", "2", "twin_v2")
    assert manifest["cloned_from"] == "plain_v1_0" and "sha256" not in manifest
    assert cli_json(capsys, "diff", "plain_v1_0", "twin_v2", "--conda-pack-folder", str(folder)
                    ) == {"from": str(folder / "plain_v1_0"), "to": str(prefix), "added": [],
                          "removed": [], "changed": []}  # fmt: skip


def test_inspect_of_a_published_pack_reads_only_its_lock(
    original, object_storage, oci_settings, oci_config_file, capsys
):
    from conda_pack_ext.progress import Progress
    from conda_pack_ext.publish import list_published, publish_operation

    settings = oci_settings(conda_pack_folder=str(original["folder"]))
    published = publish_operation({"slug": SLUG}, settings, Progress())
    key = published["path"]
    assert sorted(object_storage.object_names("packs")) == sorted(
        ["conda/index.json", key, f"{key}.explicit.txt", f"{key}.cdx.json"]
    )
    entry = next(e for e in list_published(settings) if e["slug"] == SLUG)
    assert entry["lock_sha256"] == published["manifest"]["lock_sha256"]
    assert entry["lock_path"] == f"{key}.explicit.txt"
    # a rescan (as after ADS publishes) still sees one pack under the slug, with the lock
    # and SBOM objects beside it named as the publish named them
    rescanned = list_published(settings, rescan=True)
    assert [e["slug"] for e in rescanned] == [SLUG]
    assert (rescanned[0]["lock_path"], rescanned[0]["sbom_path"]) == (
        f"{key}.explicit.txt",
        f"{key}.cdx.json",
    )

    object_storage.requests.clear()
    store_flags = ["-p", "oci://packs@testns/conda", "--os-endpoint", object_storage.endpoint,
                   "--oci-config", str(oci_config_file), "-a", "api_key"]  # fmt: skip
    summary = cli_json(capsys, "inspect", "-s", SLUG, *store_flags)
    assert summary["has_lock"] is True and summary["manifest"]["slug"] == SLUG
    expected = cli_json(capsys, "inspect", str(original["pack"]))
    assert rows(summary["packages"]) == rows(expected["packages"])
    downloaded = [r["name"] for r in object_storage.requests if r["operation"] == "get_object"]
    assert key not in downloaded and f"{key}.explicit.txt" in downloaded

    # the SBOM of a published pack names the licenses, as the pack's own does (a lock has
    # no field for them: they come from the SBOM object beside the pack)
    document = cli_json(capsys, "sbom", "-s", SLUG, *store_flags)  # the SBOM itself
    lib = next(c for c in document["components"] if c["name"] == TEST_LIB)
    assert lib["licenses"] == [{"license": {"id": "BSD-3-Clause"}}]
    assert key not in [r["name"] for r in object_storage.requests if r["operation"] == "get_object"]

    # unpublishing removes the objects beside the pack too
    assert main(["unpublish", "-s", SLUG, *store_flags]) == 0
    assert object_storage.object_names("packs") == ["conda/index.json"]


def test_a_pack_published_without_a_lock_is_inspected_while_streaming(
    conda_channel, object_storage, oci_config_file, fast_retries, tmp_path, capsys
):
    # published the way ADS does: conda-pack's tarball, the manifest as metadata, nothing beside
    plain = make_plain_conda_pack(conda_channel, tmp_path, "adsenv_v2")
    key = "conda/cpu/adsenv/2/adsenv_v2"
    manifest = {"name": "adsenv", "version": "2", "slug": "adsenv_v2", "type": "published"}
    object_storage.put("packs", key, plain.read_bytes(), {"manifest": json.dumps(manifest)})
    store_flags = ["--os-endpoint", object_storage.endpoint, "--oci-config",
                   str(oci_config_file), "-a", "api_key"]  # fmt: skip
    uri = f"oci://packs@testns/{key}"
    summary = cli_json(capsys, "inspect", uri, *store_flags)
    assert summary["has_lock"] is False and summary["manifest"]["slug"] == "adsenv_v2"
    assert summary["size"] == plain.stat().st_size
    assert rows(summary["packages"]) == rows(cli_json(capsys, "inspect", str(plain))["packages"])
    same = cli_json(capsys, "diff", uri, str(plain), *store_flags)
    assert (same["added"], same["removed"], same["changed"]) == ([], [], [])
