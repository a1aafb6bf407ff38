"""The store layer over both backends: Object Storage (real SDK, loopback server) and a
local folder. Uploads are all-or-nothing, listings see every page, the index loses no
entry under concurrent writers, and failures come back as errors that say what to fix."""

from __future__ import annotations

import hashlib
import os
import socket
import threading

import pytest

from conda_pack_ext.errors import AuthError, Cancelled, Conflict, NotFound, StoreError
from conda_pack_ext.progress import Progress
from conda_pack_ext.settings import load_settings
from conda_pack_ext.stores import open_store
from conda_pack_ext.stores.index import make_entry, update_index, upsert

MANIFEST = {"name": "My Env", "version": "1.0", "slug": "myenv_v1_0", "arch_type": "CPU"}


@pytest.fixture(params=["oci", "local"])
def store(request, tmp_path):
    """A store of each kind, with tiny parts so that uploads go multipart."""
    if request.param == "oci":
        settings = request.getfixturevalue("oci_settings")(part_size_mb=1, parallelism=4)
    else:
        settings = load_settings(conda_pack_os_prefix=(tmp_path / "store").as_uri())
    return open_store(settings.store_uri, settings)


@pytest.fixture
def pack_file(tmp_path):
    path = tmp_path / "pack.tar.gz"
    path.write_bytes(os.urandom(3 * (1 << 20) + 12345))  # 4 parts of 1 MiB
    return path


def test_layout_upload_head_and_read_back(store, pack_file):
    key = store.pack_key(MANIFEST, "myenv_v1_0")
    assert key.endswith("cpu/My Env/1.0/myenv_v1_0")
    progress = Progress()
    store.upload(key, str(pack_file), MANIFEST, progress, overwrite=False)
    assert progress.done == pack_file.stat().st_size
    info = store.head(key)
    assert info.size == pack_file.stat().st_size
    assert info.manifest == MANIFEST
    with store.open(key, info.size) as stream:
        assert (
            hashlib.sha256(stream.read()).digest()
            == hashlib.sha256(pack_file.read_bytes()).digest()
        )
    assert [k for k, _ in store.list_keys()] == [key]
    assert store.head(store.key("cpu", "nothing", "1", "here")) is None


def test_existing_key_is_refused_unless_overwrite(store, pack_file, tmp_path):
    key = store.pack_key(MANIFEST, "myenv_v1_0")
    store.upload(key, str(pack_file), MANIFEST, Progress(), overwrite=False)
    with pytest.raises(Conflict):
        store.upload(key, str(pack_file), MANIFEST, Progress(), overwrite=False)
    smaller = tmp_path / "smaller"
    smaller.write_bytes(b"new pack")
    store.upload(key, str(smaller), {**MANIFEST, "version": "1.0"}, Progress(), overwrite=True)
    assert store.head(key).size == len(b"new pack")


def test_find_slug_reads_every_listing_page(store, tmp_path):
    small = tmp_path / "small"
    small.write_bytes(b"pack")
    for number in range(7):
        manifest = {**MANIFEST, "name": f"env{number}"}
        store.upload(
            store.pack_key(manifest, f"slug{number}"),
            str(small),
            manifest,
            Progress(),
            overwrite=False,
        )
    store.page_limit = 2
    assert store.find_slug("slug6") == [store.pack_key({**MANIFEST, "name": "env6"}, "slug6")]
    assert len(list(store.list_keys())) == 7


def test_concurrent_index_writers_lose_no_entry(store):
    errors = []

    def publish(number: int) -> None:
        entry = make_entry({"name": f"env{number}", "version": "1"}, path=f"p/{number}",
                           uri=f"u/{number}", sha256=None, size=1, published="t")  # fmt: skip
        entry["slug"] = f"slug{number}"
        try:
            update_index(store, upsert(entry))
        except Exception as error:  # noqa: BLE001 - asserted below
            errors.append(error)

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    document, _ = store.read_index()
    assert sorted(e["slug"] for e in document["packs"]) == [f"slug{n}" for n in range(8)]


def test_cancelled_upload_leaves_nothing(store, pack_file):
    progress = Progress()
    progress.cancel_event.set()
    key = store.pack_key(MANIFEST, "myenv_v1_0")
    with pytest.raises(Cancelled):
        store.upload(key, str(pack_file), MANIFEST, progress, overwrite=False)
    assert store.head(key) is None
    assert list(store.list_keys()) == []


# ---- Object Storage specifics ------------------------------------------------------------


@pytest.fixture
def oci_store(oci_settings):
    settings = oci_settings(part_size_mb=1, parallelism=4)
    return open_store(settings.store_uri, settings)


def test_parts_carry_content_md5_and_go_in_parallel(oci_store, object_storage, pack_file):
    oci_store.upload("conda/x", str(pack_file), MANIFEST, Progress(), overwrite=False)
    parts = [r for r in object_storage.requests if r["operation"] == "upload_part"]
    assert len(parts) == 4 and all(r["content_md5"] for r in parts)
    assert object_storage.object_metadata("packs", "conda/x")["opc-meta-manifest"]


def test_a_part_failing_once_is_retried(oci_store, object_storage, pack_file):
    object_storage.add_fault("status", "upload_part", part=2, status=503)
    object_storage.add_fault("drop", "upload_part", part=3)
    oci_store.upload("conda/x", str(pack_file), MANIFEST, Progress(), overwrite=False)
    assert object_storage.object_bytes("packs", "conda/x") == pack_file.read_bytes()
    assert object_storage.pending_uploads() == []


def test_a_part_failing_for_good_aborts_the_upload(oci_store, object_storage, pack_file):
    object_storage.add_fault("status", "upload_part", part=3, status=503, times=100)
    with pytest.raises(StoreError, match="part 3"):
        oci_store.upload("conda/x", str(pack_file), MANIFEST, Progress(), overwrite=False)
    assert object_storage.pending_uploads() == []
    assert object_storage.object_names("packs") == []
    assert object_storage.count("abort_multipart_upload") == 1


def test_downloads_survive_truncation_and_drops(oci_store, object_storage, pack_file):
    oci_store.upload("conda/x", str(pack_file), MANIFEST, Progress(), overwrite=False)
    object_storage.add_fault("truncate", "get_object", times=2)
    object_storage.add_fault("drop", "get_object")
    with oci_store.open("conda/x", pack_file.stat().st_size) as stream:
        assert stream.read() == pack_file.read_bytes()


def test_download_failing_for_good_is_a_clear_error(oci_store, object_storage, pack_file):
    oci_store.upload("conda/x", str(pack_file), MANIFEST, Progress(), overwrite=False)
    object_storage.add_fault("status", "get_object", status=503, times=100)
    with pytest.raises(StoreError, match="download oci://packs@testns/conda/x"):
        with oci_store.open("conda/x", pack_file.stat().st_size) as stream:
            stream.read()


def test_unknown_bucket_and_namespace_say_what_to_fix(oci_settings):
    for prefix, wanted in (
        ("oci://nope@testns/conda", "bucket 'nope' not found in namespace 'testns'"),
        ("oci://packs@otherns/conda", "namespace 'otherns' not found"),
    ):
        settings = oci_settings(conda_pack_os_prefix=prefix)
        with pytest.raises(NotFound, match=wanted) as error:
            list(open_store(settings.store_uri, settings).list_keys())
        assert "conda_pack_os_prefix" in error.value.hint


@pytest.mark.parametrize(
    "status, wanted", [(401, "refused the credentials"), (403, "not authorized")]
)
def test_refused_credentials_name_the_auth_in_use(oci_settings, object_storage, status, wanted):
    object_storage.auth_status = status
    settings = oci_settings(oci_profile="DEFAULT")
    with pytest.raises(AuthError, match=wanted) as error:
        open_store(settings.store_uri, settings).read_index()
    assert "api_key (profile 'DEFAULT'" in error.value.message
    # the REST answer is 502: a 401/403 from a Jupyter route would read as a lost login
    assert error.value.status == 502


def test_unreachable_endpoint_is_retried_then_reported(oci_settings, fast_retries):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = oci_settings(os_endpoint=f"http://127.0.0.1:{port}")
    with pytest.raises(StoreError, match=f"cannot reach Object Storage at http://127.0.0.1:{port}"):
        open_store(settings.store_uri, settings).read_index()


def test_missing_config_and_key_files(oci_settings, oci_config_file, tmp_path):
    settings = oci_settings(oci_config=str(tmp_path / "no-such-config"))
    with pytest.raises(AuthError, match="no-such-config not found"):
        open_store(settings.store_uri, settings).read_index()
    text = oci_config_file.read_text()
    key_line = next(line for line in text.splitlines() if line.startswith("key_file="))
    oci_config_file.write_text(text.replace(key_line, f"key_file={tmp_path / 'gone.pem'}"))
    with pytest.raises(AuthError, match="key_file"):
        open_store(settings.store_uri, oci_settings()).read_index()


def test_configure_writes_ads_config_file(tmp_path, capsys):
    import configparser

    from conda_pack_ext.cli import main

    argv = ["configure", "-p", "oci://bucket@ns/prefix", "-a", "resource_principal",
            "--oci-profile", "OTHER", "--conda-pack-folder", str(tmp_path / "conda"),
            "--os-endpoint", "http://127.0.0.1:1", "--parallelism", "4"]  # fmt: skip
    assert main(argv) == 0
    parser = configparser.ConfigParser()
    parser.read(tmp_path / "ads_ops" / "config.ini")
    assert parser["CONDA"]["conda_pack_os_prefix"] == "oci://bucket@ns/prefix"
    assert parser["CONDA"]["conda_pack_folder"] == str(tmp_path / "conda")
    assert dict(parser["OCI"]) == {"auth": "resource_principal", "oci_profile": "OTHER"}
    # ours apart from [OCI], which `ads opctl configure` rewrites wholesale
    assert dict(parser["CONDA_PACK_EXT"]) == {
        "os_endpoint": "http://127.0.0.1:1",
        "parallelism": "4",
    }
    capsys.readouterr()
