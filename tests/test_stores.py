"""The store layer over both backends: Object Storage (real SDK, loopback server) and a
local folder. Uploads are all-or-nothing, listings see every page, the index loses no
entry under concurrent writers, and failures come back as errors that say what to fix."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading

import pytest

from conda_pack_ext.cli import main
from conda_pack_ext.errors import (
    AuthError,
    Cancelled,
    Conflict,
    InvalidInput,
    NotFound,
    StoreError,
)
from conda_pack_ext.progress import Progress
from conda_pack_ext.publish import list_published, resolve_slug, unpublish_operation
from conda_pack_ext.settings import load_settings
from conda_pack_ext.stores import open_store
from conda_pack_ext.stores.base import INDEX_NAME
from conda_pack_ext.stores.index import (
    MAX_ENTRY_WARNINGS,
    load_index,
    make_entry,
    update_index,
    upsert,
)
from conda_pack_ext.stores.local import LocalStore
from tests.support.cli import cli_json

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
        key = store.key("cpu", f"env{number}", "1", f"slug{number}")
        entry = make_entry({"name": f"env{number}", "version": "1"}, path=key,
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


# ---- object names: nothing outside the prefix ----------------------------------------------

OUTSIDE_NAMES = ["../prod/cpu/e/1/s", "/conda/cpu/e/1/s", "conda/../prod/cpu/e/1/s",
                 "conda//cpu/s", "conda/./s", "conda/cpu/..", "conda", "prod/cpu/e/1/s",
                 "conda\\..\\prod", "conda/a\x00b", "", "conda/" + "x" * 1100]  # fmt: skip


def store_calls(store, name: str, pack_file):
    """Every store call that takes an object name, with that name."""
    return {
        "head": lambda: store.head(name),
        "open": lambda: store.open(name, 10),
        "delete": lambda: store.delete(name),
        "upload": lambda: store.upload(name, str(pack_file), MANIFEST, Progress(), True),
    }


@pytest.mark.parametrize("name", OUTSIDE_NAMES)
def test_object_names_outside_the_prefix_are_refused(oci_store, object_storage, pack_file, name):
    object_storage.put("packs", "prod/cpu/e/1/s", b"production pack")
    before = len(object_storage.requests)
    for call, run in store_calls(oci_store, name, pack_file).items():
        with pytest.raises(InvalidInput, match="refusing the object name") as refused:
            run()
        assert "oci://packs@testns/conda" in refused.value.hint, call
    assert len(object_storage.requests) == before  # not one request left the process
    assert object_storage.object_names("packs") == ["prod/cpu/e/1/s"]


def test_the_folder_store_stays_in_its_folder(tmp_path, pack_file):
    root, outside = tmp_path / "store", tmp_path / "outside"
    (outside / "e" / "1").mkdir(parents=True)
    (outside / "e" / "1" / "s").write_bytes(b"not a pack of the store")
    root.mkdir()
    (root / "cpu").symlink_to(outside)  # a link planted in the store folder
    store = open_store(root.as_uri(), load_settings())
    for name in ("../outside/e/1/s", "/etc/passwd", "cpu/../../outside/e/1/s", "a//b", "./x"):
        for run in store_calls(store, name, pack_file).values():
            with pytest.raises(InvalidInput, match="refusing the object name"):
                run()
    for run in store_calls(store, "cpu/e/1/s", pack_file).values():
        with pytest.raises(InvalidInput, match="leads outside the store folder"):
            run()
    assert (outside / "e" / "1" / "s").read_bytes() == b"not a pack of the store"
    assert sorted(p.name for p in outside.rglob("*")) == ["1", "e", "s"]


# ---- garbled indexes -----------------------------------------------------------------------


@pytest.fixture(params=["oci", "local"])
def store_flags(request, tmp_path):
    """(CLI flags, settings) of a store of each kind."""
    if request.param == "oci":
        settings = request.getfixturevalue("oci_settings")()
        flags = ["-p", settings.store_uri, "-a", "api_key", "--oci-config",
                 settings.oci_config, "--os-endpoint", settings.os_endpoint]  # fmt: skip
    else:
        settings = load_settings(conda_pack_os_prefix=(tmp_path / "store").as_uri())
        flags = ["-p", settings.store_uri]
    return flags, settings


def put_raw_index(store, data: bytes) -> None:
    """Replace index.json with any bytes, as a broken tool or a hostile writer could."""
    if isinstance(store, LocalStore):
        store.root.mkdir(parents=True, exist_ok=True)
        (store.root / INDEX_NAME).write_bytes(data)
    else:
        store.client.put_object(store.namespace, store.bucket, store.index_key, data)


def published_entry(store, slug: str) -> dict:
    key = store.key("cpu", slug, "1", slug)
    entry = make_entry({"name": slug, "version": "1"}, path=key, uri=store.object_uri(key),
                       sha256=None, size=1, published="2026-01-01T00:00:00Z")  # fmt: skip
    entry["slug"] = slug
    return entry


@pytest.mark.parametrize(
    "document, wanted",
    [(b"[1,2,3]", "not an index document"), (b'{"packs": 5}', "not an index document"),
     (b'{"packs": [', "not valid JSON"), (b"\xff\xfe" * 100, "not valid JSON"),
     (b"[" * 100000, "not valid JSON")],
)  # fmt: skip
def test_an_index_that_is_no_index_is_rebuilt_with_a_warning(
    store_flags, pack_file, capsys, document, wanted
):
    flags, settings = store_flags
    store = open_store(settings.store_uri, settings)
    store.upload(store.pack_key(MANIFEST, "myenv_v1_0"), str(pack_file), MANIFEST, Progress(),
                 overwrite=False)  # fmt: skip
    put_raw_index(store, document)
    answer = cli_json(capsys, "list", "--published", *flags)
    assert [e["slug"] for e in answer["packs"]] == ["myenv_v1_0"]  # found by a rescan
    assert any(wanted in w for w in answer["warnings"]), answer["warnings"]
    assert main(["list", "--published", *flags]) == 0
    assert "myenv_v1_0" in capsys.readouterr().out
    assert load_index(store).warnings == []  # the rescan wrote a good index


def test_bad_entries_are_skipped_with_warnings_and_never_written_back(store_flags, capsys):
    flags, settings = store_flags
    store = open_store(settings.store_uri, settings)
    good = published_entry(store, "good_v1")
    bad = [7, "text", None, {"slug": "nopath"}, {**good, "path": 5}, {**good, "size": "big"},
           {**good, "name": "n" * 100_000}, {**good, "path": "../prod/cpu/x/1/good_v1"},
           {**good, "path": "/" + good["path"]}, {**good, "slug": "other_v1"},
           {**good, "version": {"a": 1}}, {**good, "path": "conda/cpu/x/1/"}]  # fmt: skip
    put_raw_index(store, json.dumps({"index_version": 1, "packs": [good, *bad]}).encode())

    answer = cli_json(capsys, "list", "--published", *flags)
    assert [e["slug"] for e in answer["packs"]] == ["good_v1"]
    assert len([w for w in answer["warnings"] if "skipped" in w]) == MAX_ENTRY_WARNINGS + 1
    assert all(len(w) < 500 for w in answer["warnings"])  # no entry content quoted
    assert main(["list", "--published", *flags]) == 0
    out, err = capsys.readouterr()
    assert "good_v1" in out and "warning: skipped a bad entry" in err

    written = update_index(store, upsert(published_entry(store, "new_v1")))
    assert [e["slug"] for e in written.entries] == ["good_v1", "new_v1"]
    assert written.warnings  # what was dropped is said
    document, _ = store.read_index()
    assert [e["slug"] for e in document["packs"]] == ["good_v1", "new_v1"]


def test_an_entry_naming_an_object_outside_the_prefix_is_never_touched(
    oci_settings, object_storage, capsys
):
    settings = oci_settings()
    store = open_store(settings.store_uri, settings)
    object_storage.put("packs", "prod/cpu/app/1/app_v1", b"production pack")
    entry = {**published_entry(store, "app_v1"), "path": "prod/cpu/app/1/app_v1"}
    put_raw_index(store, json.dumps({"packs": [entry]}).encode())
    progress = Progress()
    with pytest.raises(NotFound):
        unpublish_operation({"slug": "app_v1"}, settings, progress)
    assert any("not under the prefix" in w for w in progress.warnings)
    with pytest.raises(NotFound):
        resolve_slug("app_v1", settings)
    assert object_storage.object_names("packs") == ["conda/index.json", "prod/cpu/app/1/app_v1"]
    touched = {r["name"] for r in object_storage.requests if r["operation"] != "list_objects"}
    assert "prod/cpu/app/1/app_v1" not in touched


def test_an_oversized_index_is_a_clear_error_until_rescanned(
    store_flags, pack_file, capsys, monkeypatch
):
    from conda_pack_ext.stores import base

    monkeypatch.setattr(base, "INDEX_MAX_BYTES", 4096)
    flags, settings = store_flags
    store = open_store(settings.store_uri, settings)
    store.upload(store.pack_key(MANIFEST, "myenv_v1_0"), str(pack_file), MANIFEST, Progress(),
                 overwrite=False)  # fmt: skip
    put_raw_index(store, b'{"packs": [' + b" " * 100_000 + b"]}")
    with pytest.raises(StoreError, match="too large to read") as refused:
        list_published(settings)
    assert "--rescan" in refused.value.hint
    with pytest.raises(StoreError, match="too large to read"):  # publishing loses nothing
        update_index(store, upsert(published_entry(store, "new_v1")))
    answer = cli_json(capsys, "list", "--published", "--rescan", *flags)
    assert [e["slug"] for e in answer["packs"]] == ["myenv_v1_0"]
    assert [e["slug"] for e in list_published(settings)] == ["myenv_v1_0"]


async def test_rest_answers_carry_the_warnings_of_a_garbled_index(jp_fetch, tmp_path, capsys):
    store_uri = (tmp_path / "store").as_uri()
    store = open_store(store_uri, load_settings())
    good = published_entry(store, "good_v1")
    put_raw_index(store, json.dumps({"packs": [good, [1, 2, 3], {"path": 5}]}).encode())
    response = await jp_fetch("conda-pack-ext", "published", params={"prefix": store_uri})
    answer = json.loads(response.body)
    assert [e["slug"] for e in answer["packs"]] == ["good_v1"]
    assert len([w for w in answer["warnings"] if "skipped a bad entry" in w]) == 2

    put_raw_index(store, b"[1,2,3]")
    assert main(["configure", "-p", store_uri, "--conda-pack-folder", str(tmp_path / "c")]) == 0
    capsys.readouterr()
    response = await jp_fetch("conda-pack-ext", "envs")
    answer = json.loads(response.body)
    assert answer["store_error"] is None
    assert any("not an index document" in w for w in answer["store_warnings"])


def test_a_rescan_skips_objects_whose_names_no_request_may_use(
    oci_settings, object_storage, pack_file, tmp_path
):
    settings = oci_settings()
    store = open_store(settings.store_uri, settings)
    store.upload(store.pack_key(MANIFEST, "myenv_v1_0"), str(pack_file), MANIFEST, Progress(),
                 overwrite=False)  # fmt: skip
    for odd in ("conda/cpu/x//odd_v1", "conda/cpu/../../prod/odd_v1", "conda/cpu/./odd_v1"):
        object_storage.put("packs", odd, b"not ours to touch")
    warnings = []
    listed = list_published(settings, rescan=True, warnings=warnings)
    assert [e["slug"] for e in listed] == ["myenv_v1_0"]
    assert len([w for w in warnings if w.startswith("skipped the object")]) == 3
    with pytest.raises(NotFound):  # unpublish finds no usable object of that name
        unpublish_operation({"slug": "odd_v1"}, settings, Progress())
    assert len([n for n in object_storage.object_names("packs") if "odd_v1" in n]) == 3

    folder = tmp_path / "folder-store"
    (folder / "cpu" / "e" / "1").mkdir(parents=True)
    (folder / "cpu" / "e" / "1" / "linked_v1").symlink_to(pack_file)  # leads outside
    warnings = []
    local = load_settings(conda_pack_os_prefix=folder.as_uri())
    assert list_published(local, rescan=True, warnings=warnings) == []
    assert any("leads outside the store folder" in w for w in warnings)


def test_install_by_slug_hears_of_the_bad_entries_it_skipped(store_flags, pack_file):
    _, settings = store_flags
    store = open_store(settings.store_uri, settings)
    key = store.pack_key(MANIFEST, "myenv_v1_0")
    store.upload(key, str(pack_file), MANIFEST, Progress(), overwrite=False)
    entry = {**published_entry(store, "myenv_v1_0"), "path": key}
    put_raw_index(store, json.dumps({"packs": [{"path": ["x"]}, entry]}).encode())
    source = resolve_slug("myenv_v1_0", settings)
    assert source.key == key
    assert any("skipped a bad entry" in w for w in source.warnings)
