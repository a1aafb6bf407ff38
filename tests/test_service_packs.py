"""Oracle's service packs on the test Object Storage server, laid out as Oracle's bucket is:
list them, install one (its kernel runs code), through the authenticated client or its
`par` URL, copy one into the user's bucket and install it from there."""

from __future__ import annotations

import json

import yaml

from conda_pack_ext import preflight, service_packs
from conda_pack_ext.service_packs import DEFAULT_NAMESPACE, SERVICE_BUCKET
from tests.support.cli import cli_error, cli_json, cli_run
from tests.support.kernels import run_in_kernel
from tests.support.service_bucket import (
    INDEX_KEY,
    par_url,
    service_bucket_fixture,  # noqa: F401
    service_pack_files_fixture,  # noqa: F401
)

CPU_SLUG, GPU_SLUG = "tdscpu_p311_cpu_v1", "tdsgpu_p311_gpu_v1"


def oci_flags(object_storage, oci_config_file, tmp_path) -> list[str]:
    """The user's OCI settings: API key auth, region us-ashburn-1, the test endpoint."""
    return ["--os-endpoint", object_storage.endpoint, "--oci-config", str(oci_config_file),
            "-a", "api_key", "--conda-pack-folder", str(tmp_path / "conda")]  # fmt: skip


def test_list_service_reads_the_regions_index(
    capsys, object_storage, oci_config_file, tmp_path, service_bucket
):
    rows = cli_json(
        capsys, "list", "--service", *oci_flags(object_storage, oci_config_file, tmp_path)
    )
    by_slug = {row["slug"]: row for row in rows}
    assert set(by_slug) == {CPU_SLUG, GPU_SLUG}
    cpu = by_slug[CPU_SLUG]
    assert cpu["name"] == "Test Data Science for CPU on Python 3.11"
    assert (cpu["version"], cpu["python"], cpu["arch_type"]) == ("1.0", "3.11", "CPU")
    assert by_slug[GPU_SLUG]["arch_type"] == "GPU"
    assert cpu["libraries"][0] == "ipykernel (v6)" and cpu["description"] and cpu["size_mb"]
    # the object as stored (spaces), in the namespace of the user's region (us-ashburn-1)
    assert cpu["pack_uri"] == (
        f"oci://{SERVICE_BUCKET}@{DEFAULT_NAMESPACE}/service_pack/cpu/"
        f"Test Data Science for CPU on Python 3.11/1.0/{CPU_SLUG}"
    )
    assert "logo_src" not in cpu
    reads = [r for r in object_storage.requests if r["operation"] == "get_object"]
    assert reads[0]["path"].startswith(f"/n/{DEFAULT_NAMESPACE}/b/{SERVICE_BUCKET}/o/")
    assert reads[0]["name"] == INDEX_KEY


def test_install_service_pack_runs_its_kernel(
    capsys, object_storage, oci_config_file, tmp_path, service_bucket
):
    flags = oci_flags(object_storage, oci_config_file, tmp_path)
    result = cli_json(capsys, "install", "-s", CPU_SLUG, "--service", *flags)
    assert result["slug"] == CPU_SLUG
    assert result["pack_uri"].endswith(f"Test Data Science for CPU on Python 3.11/1.0/{CPU_SLUG}")
    prefix = tmp_path / "conda" / CPU_SLUG
    manifest = yaml.safe_load((prefix / f"{CPU_SLUG}_manifest.yaml").read_text())["manifest"]
    assert (manifest["type"], manifest["slug"], manifest["arch_type"]) == (
        "data_science", CPU_SLUG, "CPU",
    )  # fmt: skip
    printed = run_in_kernel(result["kernels"][0], "import sys; print(sys.prefix)")
    assert printed.strip() == str(prefix)


def test_install_service_pack_through_its_par_url(
    capsys, object_storage, oci_config_file, tmp_path, service_bucket, monkeypatch
):
    """The user's auth may not read Oracle's bucket: the pre-authenticated URLs still do."""
    monkeypatch.setattr(preflight, "NVIDIA_DRIVER_FILE", tmp_path / "no-nvidia-driver")
    object_storage.auth_status = 403
    flags = oci_flags(object_storage, oci_config_file, tmp_path)
    index = par_url(object_storage, INDEX_KEY)
    result, err = cli_run(
        capsys, "install", "-s", GPU_SLUG, "--service", "--service-index", index, "--no-kernel",
        *flags,
    )  # fmt: skip
    assert (tmp_path / "conda" / GPU_SLUG / "conda-meta").is_dir()
    assert "GPU pack and no NVIDIA driver" in err  # preflight warns; CPU use still works
    assert any(w.startswith("this is a GPU pack") for w in result["warnings"])
    downloads = [r["path"] for r in object_storage.requests if r["operation"] == "get_object"]
    assert downloads[-1].startswith("/p/") and "Test%20Data%20Science%20for%20GPU" in downloads[-1]


def test_missing_service_object_names_every_attempt(
    capsys, object_storage, oci_config_file, tmp_path, service_bucket
):
    name = f"service_pack/cpu/Test Data Science for CPU on Python 3.11/1.0/{CPU_SLUG}"
    with object_storage.lock:
        del object_storage.buckets[(DEFAULT_NAMESPACE, SERVICE_BUCKET)][name]
    flags = oci_flags(object_storage, oci_config_file, tmp_path)
    err = cli_error(capsys, "install", "-s", CPU_SLUG, "--service", *flags)
    assert f"cannot find the object of service pack {CPU_SLUG!r}" in err
    assert "Test Data Science for CPU on Python 3.11/1.0" in err  # as the par URL names it
    assert "Test_Data_Science_for_CPU_on_Python_3.11/1.0" in err  # as `path` spells it
    assert "its par URL: HTTP 404" in err
    assert not (tmp_path / "conda" / CPU_SLUG).exists()


def test_copy_service_pack_to_own_bucket_then_install(
    capsys, object_storage, oci_config_file, tmp_path, service_bucket, service_pack_files
):
    flags = oci_flags(object_storage, oci_config_file, tmp_path)
    store = ["-p", "oci://packs@testns/conda"]
    copied = cli_json(capsys, "publish", "--from-service", CPU_SLUG, *store, *flags)
    key = f"conda/cpu/Test Data Science for CPU on Python 3.11/1.0/{CPU_SLUG}"
    assert copied["uri"] == f"oci://packs@testns/{key}"
    assert object_storage.object_bytes("packs", key) == service_pack_files[0].path.read_bytes()
    metadata = json.loads(object_storage.object_metadata("packs", key)["opc-meta-manifest"])
    assert (metadata["type"], metadata["slug"], metadata["sha256"]) == (
        "data_science", CPU_SLUG, copied["sha256"],
    )  # fmt: skip
    listed = cli_json(capsys, "list", "--published", *store, *flags)["packs"]
    assert [e["slug"] for e in listed] == [CPU_SLUG]
    again = cli_error(capsys, "publish", "--from-service", CPU_SLUG, *store, *flags)
    assert "already published" in again
    installed = cli_json(capsys, "install", "-s", CPU_SLUG, "--no-kernel", *store, *flags)
    assert installed["pack_uri"] == copied["uri"] and installed["sha256"] == copied["sha256"]


# ---- bad input -------------------------------------------------------------------------------


def test_unknown_service_slug(capsys, object_storage, oci_config_file, tmp_path, service_bucket):
    err = cli_error(capsys, "install", "-s", "nosuch_v1", "--service",
                    *oci_flags(object_storage, oci_config_file, tmp_path))  # fmt: skip
    assert "no service pack 'nosuch_v1'" in err and CPU_SLUG in err
    assert "list --service" in err


def test_malformed_service_index(capsys, object_storage, oci_config_file, tmp_path):
    flags = oci_flags(object_storage, oci_config_file, tmp_path)
    object_storage.create_bucket(SERVICE_BUCKET, DEFAULT_NAMESPACE)
    object_storage.put(SERVICE_BUCKET, INDEX_KEY, b"{not json", namespace=DEFAULT_NAMESPACE)
    err = cli_error(capsys, "list", "--service", *flags)
    assert "is not valid JSON" in err and "--service-index" in err
    object_storage.put(SERVICE_BUCKET, INDEX_KEY, b'{"packs": []}', namespace=DEFAULT_NAMESPACE)
    assert "has no list `service_packs`" in cli_error(capsys, "list", "--service", *flags)


def test_unreachable_service_index(capsys, object_storage, oci_config_file, tmp_path):
    flags = oci_flags(object_storage, oci_config_file, tmp_path)
    err = cli_error(capsys, "list", "--service", "--service-index", "http://127.0.0.1:9/i.json",
                    *flags)  # fmt: skip
    assert "cannot read the service index http://127.0.0.1:9/i.json" in err
    missing = cli_error(capsys, "list", "--service", *flags)  # no bucket in that namespace
    index = f"oci://{SERVICE_BUCKET}@{DEFAULT_NAMESPACE}/{INDEX_KEY}"
    assert f"cannot read the service index {index}: namespace" in missing
    assert "--service-index" in missing


def test_region_without_known_namespace(capsys, object_storage, oci_config_file, tmp_path):
    oci_config_file.write_text(
        oci_config_file.read_text().replace("region=us-ashburn-1", "region=xx-nowhere-1")
    )
    err = cli_error(
        capsys, "list", "--service", *oci_flags(object_storage, oci_config_file, tmp_path)
    )
    assert "no known namespace of Oracle's service packs for region 'xx-nowhere-1'" in err
    assert "--service-index" in err


def test_hostile_index_entries_are_skipped_and_size_is_bounded(
    capsys, object_storage, oci_config_file, tmp_path, monkeypatch
):
    index = tmp_path / "index.json"
    entries = [{"slug": "../../etc"}, "junk", {"slug": "ok_v1", "name": "Ok", "libraries": "x"}]
    index.write_text(json.dumps({"service_packs": entries}))
    flags = [
        *oci_flags(object_storage, oci_config_file, tmp_path),
        "--service-index",
        index.as_uri(),
    ]
    rows = cli_json(capsys, "list", "--service", *flags)
    assert [(r["slug"], r["libraries"], r["pack_uri"]) for r in rows] == [("ok_v1", [], "")]
    monkeypatch.setattr(service_packs, "MAX_INDEX_BYTES", 10)
    err = cli_error(capsys, "list", "--service", *flags)
    assert f"the service index {index.as_uri()} is larger than 10 bytes" in err
