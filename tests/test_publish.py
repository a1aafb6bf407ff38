"""publish / list --published / install / unpublish through both stores, end to end: a
real env from the local channel, packed by conda-pack, published with the real `oci` SDK
to the loopback Object Storage server (or a folder), installed elsewhere, and its kernel
started and running code. Packs published the way ADS does are found by a rescan."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from oci.object_storage.models import CreateMultipartUploadDetails

from conda_pack_ext.cli import main
from conda_pack_ext.create import create_env
from conda_pack_ext.errors import Conflict, InvalidInput, StoreError
from conda_pack_ext.install import install_pack
from conda_pack_ext.manifest import read_manifest, write_manifest
from conda_pack_ext.pack import pack_env, pack_path
from conda_pack_ext.progress import Progress
from conda_pack_ext.publish import (
    list_published,
    publish_operation,
    resolve_slug,
    source_for_uri,
)
from conda_pack_ext.settings import load_settings
from conda_pack_ext.stores.base import PackStore
from conda_pack_ext.stores.oci_auth import object_storage_client
from tests.support.channel import TEST_APP
from tests.support.cli import cli_error, cli_json
from tests.support.envfiles import write_env_file
from tests.support.kernels import run_in_kernel
from tests.support.progress import RecordingProgress

pytestmark = pytest.mark.slow

SLUG = "storetest_v1_0"
ADS_FIELDS = {"name", "version", "slug", "type", "arch_type", "manifest_version", "create_date",
              "size_mb", "pack_path", "pack_uri"}  # fmt: skip


@pytest.fixture(scope="module")
def built_env(conda_channel, tmp_path_factory) -> Path:
    """One real env (python, ipykernel, a prefix-writing package) for the module."""
    root = tmp_path_factory.mktemp("publish")
    folder = root / "conda"
    path = write_env_file(
        root, "storetest", [conda_channel], ["python", "ipykernel", TEST_APP],
        manifest={"name": "storetest", "version": "1.0"},
    )  # fmt: skip
    create_env(load_settings(conda_pack_folder=str(folder)), path, no_kernel=True)
    return folder


@pytest.fixture
def pack_folder(built_env, tmp_path) -> Path:
    """A private copy of the module's pack folder (publishing packs into it)."""
    folder = tmp_path / "conda"
    shutil.copytree(built_env, folder, symlinks=True, copy_function=link_or_copy)
    return folder


def link_or_copy(source: str, target: str) -> None:
    """Hard links save copying the env; manifests are copied since tests edit them."""
    if source.endswith("_manifest.yaml"):
        shutil.copy2(source, target)
    else:
        os.link(source, target)


def run_kernel(kernel: str) -> str:
    """Start an installed env's kernel through jupyter_client and return sys.prefix."""
    return run_in_kernel(kernel, "import sys; print(sys.prefix)").strip()


@pytest.fixture
def oci_configured(object_storage, oci_config_file, pack_folder, capsys, fast_retries):
    """ADS's config.ini pointing at the loopback server, written by `configure`."""
    argv = ["configure", "-p", "oci://packs@testns/conda", "--os-endpoint",
            object_storage.endpoint, "--oci-config", str(oci_config_file), "-a", "api_key",
            "--conda-pack-folder", str(pack_folder), "--part-size-mb", "2"]  # fmt: skip
    assert main(argv) == 0
    capsys.readouterr()
    return object_storage


def test_publish_list_install_by_slug_and_uri_through_object_storage(
    oci_configured, pack_folder, tmp_path, capsys
):
    server = oci_configured
    published = cli_json(capsys, "publish", "-s", SLUG)
    assert set(published) == {"slug", "uri", "sha256", "size"}
    key = f"conda/cpu/storetest/1.0/{SLUG}"
    assert published["uri"] == f"oci://packs@testns/{key}"
    # beside the pack: its lock and SBOM, and (it was uploaded while packing) its
    # checksum, small objects that ADS does not take for packs
    beside = [f"{key}.explicit.txt", f"{key}.cdx.json", f"{key}.sha256.json"]
    assert sorted(server.object_names("packs")) == sorted([key, *beside, "conda/index.json"])
    assert published["size"] == pack_path(load_settings(), SLUG).stat().st_size
    assert server.count("upload_part") >= 2  # the pack went multipart
    # ADS's metadata: one key, the manifest as JSON; the checksum is known only after the
    # upload started, so it is in the object beside the pack, with the pack's size and etag
    metadata = server.object_metadata("packs", key)
    assert list(metadata) == ["opc-meta-manifest"]
    manifest = json.loads(metadata["opc-meta-manifest"])
    assert ADS_FIELDS - {"size_mb"} <= set(manifest)
    assert manifest["pack_path"] == key and manifest["pack_uri"] == published["uri"]
    assert manifest["type"] == "published" and "sha256" not in manifest
    checksum = json.loads(server.object_bytes("packs", f"{key}.sha256.json"))
    assert checksum["sha256"] == published["sha256"]
    assert checksum["size_bytes"] == published["size"] == len(server.object_bytes("packs", key))

    before = server.count("get_object") + server.count("list_objects")
    listed = cli_json(capsys, "list", "--published")["packs"]
    assert server.count("get_object") + server.count("list_objects") == before + 1
    entry = next(e for e in listed if e["slug"] == SLUG)
    for field in ("name", "version", "arch_type", "python", "size_mb", "sha256", "uri"):
        assert entry[field], field
    assert entry["sha256"] == published["sha256"]

    elsewhere = tmp_path / "elsewhere"
    installed = cli_json(capsys, "install", "-s", SLUG, "--conda-pack-folder", str(elsewhere))
    assert installed["sha256"] == published["sha256"]
    assert run_kernel(installed["kernels"][0]) == str(elsewhere / SLUG)

    third = tmp_path / "third"
    by_uri = cli_json(
        capsys, "install", "-u", published["uri"], "--conda-pack-folder", str(third),
        "--no-kernel",
    )  # fmt: skip
    assert by_uri["prefix"] == str(third / SLUG)
    assert (third / SLUG / "bin" / "python").exists()

    removed = cli_json(capsys, "unpublish", "-s", SLUG)
    assert removed["removed"] == [published["uri"]]
    assert server.object_names("packs") == ["conda/index.json"]
    assert cli_json(capsys, "list", "--published")["packs"] == []


def test_publish_and_install_through_a_folder_store(pack_folder, tmp_path, capsys):
    store = tmp_path / "store"
    common = ["-p", store.as_uri(), "--conda-pack-folder", str(pack_folder)]
    published = cli_json(capsys, "publish", "-s", SLUG, *common)
    assert published["uri"] == (store / "cpu/storetest/1.0" / SLUG).as_uri()
    # packed into the store as it was written: the checksum is beside the pack
    sidecar = json.loads((store / "cpu/storetest/1.0" / f"{SLUG}.json").read_text())
    assert "sha256" not in sidecar["manifest"]
    checksum = json.loads((store / "cpu/storetest/1.0" / f"{SLUG}.sha256.json").read_text())
    assert checksum["sha256"] == published["sha256"]
    listed = cli_json(capsys, "list", "--published", "-p", store.as_uri())["packs"]
    assert [e["slug"] for e in listed] == [SLUG]
    elsewhere = tmp_path / "elsewhere"
    installed = cli_json(
        capsys, "install", "-s", SLUG, "-p", store.as_uri(), "--conda-pack-folder",
        str(elsewhere),
    )  # fmt: skip
    assert installed["sha256"] == published["sha256"]
    assert run_kernel(installed["kernels"][0]) == str(elsewhere / SLUG)


def test_a_pack_published_by_ads_is_found_by_rescan_and_installs(
    oci_configured, pack_folder, tmp_path, capsys
):
    server = oci_configured
    cli_json(capsys, "publish", "-s", SLUG)  # an index now exists
    # ADS's way: its object name, only the manifest as metadata, no sha256, no index entry
    settings = load_settings()
    document = read_manifest(pack_folder / SLUG)
    ads_manifest = {k: v for k, v in document["manifest"].items() if k != "sha256"}
    ads_key = "conda/cpu/adsenv/2/adsenv_v2"
    ads_manifest.update(name="adsenv", version="2", slug="adsenv_v2", pack_path=ads_key,
                        pack_uri=f"oci://packs@testns/{ads_key}")  # fmt: skip
    server.put("packs", ads_key, pack_path(settings, SLUG).read_bytes(),
               {"manifest": json.dumps(ads_manifest)})  # fmt: skip
    assert [e["slug"] for e in cli_json(capsys, "list", "--published")["packs"]] == [SLUG]
    rescanned = cli_json(capsys, "list", "--published", "--rescan")["packs"]
    assert sorted(e["slug"] for e in rescanned) == ["adsenv_v2", SLUG]
    ads_entry = next(e for e in rescanned if e["slug"] == "adsenv_v2")
    assert ads_entry["uri"] == f"oci://packs@testns/{ads_key}" and ads_entry["sha256"] is None

    # install by slug finds it through the index the rescan wrote; the pack's own
    # manifest names the slug it installs as
    elsewhere = tmp_path / "elsewhere"
    installed = cli_json(capsys, "install", "-s", "adsenv_v2", "--conda-pack-folder",
                         str(elsewhere), "--no-kernel")  # fmt: skip
    assert (Path(installed["prefix"]) / "bin" / "python").exists()


def test_install_by_slug_rescans_when_the_index_lacks_it(oci_configured, pack_folder):
    server = oci_configured
    settings = load_settings()
    server.put(
        "packs",
        "conda/cpu/plain/1/plain_v1",
        pack_path_bytes(settings),
        {"manifest": json.dumps({"name": "plain", "version": "1", "slug": "plain_v1"})},
    )
    source = resolve_slug("plain_v1", settings)
    assert source.uri == "oci://packs@testns/conda/cpu/plain/1/plain_v1"
    assert server.count("head_object") >= 1 and server.count("list_objects") >= 1


def pack_path_bytes(settings) -> bytes:
    from conda_pack_ext.pack import pack_env

    return Path(pack_env(settings, SLUG, compress_level=1)["pack_path"]).read_bytes()


def test_collisions_are_found_on_any_listing_page_and_o_replaces(
    oci_configured, pack_folder, monkeypatch, capsys
):
    server = oci_configured
    settings = load_settings()
    published = publish_operation({"slug": SLUG}, settings, Progress())
    old_key = published["path"]
    for number in range(6):  # objects sorting before the pack push it to a later page
        server.put("packs", f"conda/aaa/{number}", b"x")
    # the same slug under another version: a different object name, same slug
    manifest_file = pack_folder / SLUG / f"{SLUG}_manifest.yaml"
    manifest_file.write_text(manifest_file.read_text().replace("version: '1.0'", "version: '9'"))
    monkeypatch.setattr(PackStore, "page_limit", 2)
    with pytest.raises(Conflict) as collision:
        publish_operation({"slug": SLUG}, settings, Progress())
    assert f"oci://packs@testns/{old_key}" in collision.value.message
    assert "-o" in collision.value.hint
    error = cli_error(capsys, "publish", "-s", SLUG)
    assert old_key in error

    replaced = publish_operation({"slug": SLUG, "overwrite": True}, settings, Progress())
    assert replaced["path"] == f"conda/cpu/storetest/9/{SLUG}"
    names = server.object_names("packs")
    assert old_key not in names and replaced["path"] in names
    assert [e["path"] for e in list_published(settings) if e["slug"] == SLUG] == [replaced["path"]]


def test_failed_uploads_leave_nothing_behind(oci_configured, pack_folder):
    server = oci_configured
    settings = load_settings()
    server.add_fault("status", "upload_part", part=2, status=503, times=1000)
    with pytest.raises(StoreError, match="part 2"):
        publish_operation({"slug": SLUG}, settings, Progress())
    assert server.pending_uploads() == []
    assert server.object_names("packs") == []

    server.faults.clear()
    server.add_fault("status", "put_object", name_contains="index.json", status=503, times=1000)
    with pytest.raises(StoreError, match="index.json"):
        publish_operation({"slug": SLUG}, settings, Progress())
    assert server.object_names("packs") == []
    server.faults.clear()

    # one failing part and a dropped connection are retried: the publish succeeds
    server.add_fault("status", "upload_part", part=1, status=503)
    server.add_fault("drop", "upload_part", part=2)
    publish_operation({"slug": SLUG}, settings, Progress())
    assert len(list_published(settings)) == 1 and server.pending_uploads() == []


def test_download_faults_never_install_a_damaged_pack(oci_configured, pack_folder, tmp_path):
    server = oci_configured
    settings = load_settings()
    published = publish_operation({"slug": SLUG}, settings, Progress())
    target = load_settings(conda_pack_folder=str(tmp_path / "target"))

    server.add_fault("truncate", "get_object", name_contains=SLUG, times=2)
    installed = install_pack(resolve_slug(SLUG, settings), target, no_kernel=True)
    assert installed["sha256"] == published["sha256"]
    shutil.rmtree(installed["prefix"])

    server.add_fault("corrupt", "get_object", name_contains=SLUG, times=1000)
    with pytest.raises(InvalidInput):
        install_pack(source_for_uri(published["uri"], settings), target, no_kernel=True)
    assert not (target.pack_folder / SLUG).exists()
    assert [p.name for p in target.pack_folder.iterdir() if not p.name.startswith(".")] == []


def test_concurrent_publishes_lose_no_index_entry(oci_configured, pack_folder):
    """Three publishes of three slugs at once, each writing the one index."""
    settings = load_settings()
    manifest_file = pack_folder / SLUG / f"{SLUG}_manifest.yaml"
    text = manifest_file.read_text()
    slugs = [f"copy{n}_v1_0" for n in range(3)]
    for slug in slugs:  # the same env under three slugs: copies of its pack folder entry
        shutil.copytree(
            pack_folder / SLUG, pack_folder / slug, symlinks=True, copy_function=link_or_copy
        )
        (pack_folder / slug / f"{SLUG}_manifest.yaml").unlink()
        (pack_folder / slug / f"{slug}_manifest.yaml").write_text(
            text.replace("storetest", slug.split("_")[0]).replace(SLUG, slug)
        )
    publish_operation({"slug": slugs[0]}, settings, Progress())  # pack once, warm
    errors = []

    def publish(slug):
        try:
            publish_operation({"slug": slug, "overwrite": True}, settings, Progress())
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=publish, args=(s,)) for s in slugs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(e["slug"] for e in list_published(settings)) == slugs


def test_a_publish_killed_outright_leaves_an_upload_the_next_publish_aborts(
    oci_configured, pack_folder
):
    server = oci_configured
    settings = load_settings()
    pack_env(settings, SLUG, overwrite=True)  # the killed publish only uploads
    server.bandwidth = 2e6  # slow enough to be killed mid-upload
    command = [sys.executable, "-m", "conda_pack_ext", "publish", "-s", SLUG]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    publisher = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (server.pending_uploads() and server.count("upload_part")):
        assert publisher.poll() is None and time.monotonic() < deadline, "no upload started"
        time.sleep(0.02)
    publisher.send_signal(signal.SIGKILL)
    publisher.wait()
    (left,) = server.pending_uploads()
    server.bandwidth = None
    # someone else's unfinished upload under the prefix is not ours to abort
    other = "conda/cpu/other/1/other_v1"
    create = CreateMultipartUploadDetails(object=other)
    client = object_storage_client(settings)
    client.create_multipart_upload("testns", "packs", create)

    progress = RecordingProgress()
    published = publish_operation({"slug": SLUG}, settings, progress)
    assert [u.name for u in server.pending_uploads()] == [other]
    assert any("aborted an unfinished upload" in line for line in progress.lines)
    assert left.name == published["path"]
    assert published["path"] in server.object_names("packs")


def test_malformed_recorded_checksums_are_warnings_not_crashes(
    oci_configured, pack_folder, tmp_path, capsys
):
    server = oci_configured
    settings = load_settings()
    pack_env(settings, SLUG, overwrite=True)
    # the pack's sidecar and the env's manifest agree on a sha256 that is no sha256
    sidecar = pack_path(settings, SLUG).with_name(f"{SLUG}.tar.gz.json")
    sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), "sha256": "XYZ"}))
    document = read_manifest(pack_folder / SLUG)
    document["manifest"]["sha256"] = "XYZ"
    write_manifest(pack_folder / SLUG, document)
    published = publish_operation({"slug": SLUG}, settings, Progress())
    actual = hashlib.sha256(pack_path(settings, SLUG).read_bytes()).hexdigest()
    assert published["sha256"] == actual  # computed again, not copied

    # the store's metadata (not trusted) carries a malformed checksum: install goes on
    key = published["path"]
    metadata = server.object_metadata("packs", key)
    manifest = {**json.loads(metadata["opc-meta-manifest"]), "sha256": ["not", "hex"]}
    server.put("packs", key, server.object_bytes("packs", key),
               {"manifest": json.dumps(manifest)})  # fmt: skip
    installed = cli_json(capsys, "install", "-s", SLUG, "--no-kernel",
                         "--conda-pack-folder", str(tmp_path / "elsewhere"))  # fmt: skip
    assert installed["sha256"] == actual
    assert any("malformed: the pack is unverified" in w for w in installed["warnings"])
