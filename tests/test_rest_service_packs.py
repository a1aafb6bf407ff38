"""Service packs through the REST API (a real Jupyter server, auth on): a `publish` job
with `from_service` copies one into the user's bucket, an `install` job with `service`
installs one."""

from __future__ import annotations

from tests.support.service_bucket import (
    service_bucket_fixture,  # noqa: F401
    service_pack_files_fixture,  # noqa: F401
)
from tests.test_rest_api import api, history_db, jp_server_config  # noqa: F401, F811
from tests.test_service_packs import CPU_SLUG, GPU_SLUG


async def test_copy_and_install_service_packs_as_jobs(
    api,  # noqa: F811 - the fixture imported above
    object_storage,
    oci_config_file,
    tmp_path,
    service_bucket,
):
    settings = {"os_endpoint": object_storage.endpoint, "oci_config": str(oci_config_file),
                "auth": "api_key", "conda_pack_folder": str(tmp_path / "conda"),
                "conda_pack_os_prefix": "oci://packs@testns/conda"}  # fmt: skip
    copied = await api.run("publish", from_service=CPU_SLUG, **settings)
    assert copied["result"]["uri"].startswith("oci://packs@testns/conda/cpu/Test Data Science")
    installed = await api.run("install", slug=GPU_SLUG, service=True, no_kernel=True, **settings)
    assert installed["result"]["prefix"] == str(tmp_path / "conda" / GPU_SLUG)
    assert (tmp_path / "conda" / GPU_SLUG / f"{GPU_SLUG}_manifest.yaml").is_file()
