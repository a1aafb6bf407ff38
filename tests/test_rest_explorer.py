"""The routes the Conda Packs explorer reads, through a real Jupyter server with auth on:
Oracle's service packs (from the suite's Object Storage server laid out as Oracle's
bucket), what to paste to use a pack in OCI, the packages of an installed env, and the
host facts the explorer warns with."""

from __future__ import annotations

import os

import pytest

from conda_pack_ext import preflight
from conda_pack_ext.settings import write_config
from tests.support.service_bucket import (
    service_bucket_fixture,  # noqa: F401
    service_pack_files_fixture,  # noqa: F401
)
from tests.test_rest_api import api, history_db, jp_server_config  # noqa: F401, F811
from tests.test_service_packs import CPU_SLUG, GPU_SLUG


@pytest.fixture
def oci_user(object_storage, oci_config_file, tmp_path) -> None:
    """The user's config.ini: API key auth in us-ashburn-1 on the test server."""
    write_config(
        {
            "os_endpoint": object_storage.endpoint,
            "oci_config": str(oci_config_file),
            "auth": "api_key",
            "conda_pack_folder": str(tmp_path / "conda"),
            "conda_pack_os_prefix": "oci://packs@testns/conda",
        },  # fmt: skip
        ads_config_dir=os.environ["ADS_OPS_CONFIG_DIR"],
    )


async def test_service_packs_lists_the_regions_index(
    api,  # noqa: F811
    oci_user,
    service_bucket,
):
    _, answer = await api.call("GET", "service-packs")
    assert answer["index_uri"].startswith("oci://service-conda-packs@")
    by_slug = {pack["slug"]: pack for pack in answer["packs"]}
    assert set(by_slug) == {CPU_SLUG, GPU_SLUG}
    assert by_slug[GPU_SLUG]["arch_type"] == "GPU"
    assert by_slug[CPU_SLUG]["libraries"][0] == "ipykernel (v6)"
    assert "logo_src" not in by_slug[CPU_SLUG]


async def test_service_packs_reports_an_unreadable_index(
    api,  # noqa: F811
    oci_user,  # and no service bucket on the server
):
    code, error = await api.error("GET", "service-packs")
    assert code in (404, 500) and error["code"] and error["message"]


async def test_usage_gives_job_variables_and_runtime_yaml(
    api,  # noqa: F811
    oci_user,
    service_bucket,
):
    _, job = await api.call("GET", "usage", **{"for": "job", "slug": CPU_SLUG, "service": "1"})
    assert job["env"] == {"CONDA_ENV_TYPE": "service", "CONDA_ENV_SLUG": CPU_SLUG}
    uri = "oci://packs@testns/conda/cpu/mypack/1.0/mypack_v1"
    _, deployment = await api.call("GET", "usage", **{"for": "model-deployment", "uri": uri})
    conda_env = deployment["runtime_yaml"]["MODEL_DEPLOYMENT"]["INFERENCE_CONDA_ENV"]
    assert conda_env["INFERENCE_ENV_PATH"] == uri
    assert "INFERENCE_ENV_PATH: " + uri in deployment["runtime_yaml_text"]
    assert "target.bucket.name='packs'" in deployment["policy"]["statements"][0]


async def test_usage_refuses_unknown_targets(api):  # noqa: F811
    code, error = await api.error("GET", "usage", **{"for": "notebook", "slug": "x"})
    assert code == 400 and "job" in error["message"]
    code, error = await api.error("GET", "usage", **{"for": "job", "service": "yes"})
    assert code == 400


async def test_env_packages_lists_an_installed_packs_conda_meta(
    api,  # noqa: F811
    oci_user,
    service_bucket,
    tmp_path,
):
    await api.run("install", slug=CPU_SLUG, service=True, no_kernel=True)
    # a record that is not a package's JSON is skipped, not an error
    (tmp_path / "conda" / CPU_SLUG / "conda-meta" / "broken.json").write_text("{not json")
    _, answer = await api.call("GET", f"envs/{CPU_SLUG}/packages")
    assert answer["prefix"] == str(tmp_path / "conda" / CPU_SLUG)
    names = [package["name"] for package in answer["packages"]]
    assert "python" in names and "ipykernel" in names
    assert names == sorted(names, key=str.lower)
    python = answer["packages"][names.index("python")]
    assert python["version"].startswith("3.") and python["build"]


async def test_env_packages_of_an_unknown_env_is_not_found(api, tmp_path):  # noqa: F811
    code, error = await api.error(
        "GET", "envs/nosuchenv/packages", conda_pack_folder=str(tmp_path / "conda")
    )
    assert code == 404 and error["code"] == "not_found" and "nosuchenv" in error["message"]
    code, _ = await api.error("GET", "envs/.hidden/packages")
    assert code == 400


async def test_status_tells_the_host_platform_and_nvidia_driver(api):  # noqa: F811
    _, answer = await api.call("GET", "status")
    assert answer["host"] == {
        "platform": preflight.host_subdir(),
        "nvidia_driver": preflight.NVIDIA_DRIVER_FILE.exists(),
    }
