"""Oracle's service pack bucket on the test Object Storage server, laid out as Oracle's is:
`service-conda-packs` in the commercial realm's namespace, real packs from the local channel
stored under names with spaces (`service_pack/<arch>/<Name With Spaces>/<version>/<slug>`),
and `service_pack/index.json` in the real format (`service_packs`, `par` URLs naming the
object as stored, `path`/`pack_path` spelling the name with underscores)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from conda_pack_ext.create import create_env
from conda_pack_ext.pack import pack_env
from conda_pack_ext.service_packs import DEFAULT_NAMESPACE, SERVICE_BUCKET
from tests.support.channel import TEST_APP, TEST_LIB
from tests.support.envfiles import settings_for, write_env_file

INDEX_KEY = "service_pack/index.json"
LOGO = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4="


@dataclass
class ServicePack:
    slug: str
    name: str
    arch: str
    specs: tuple
    libraries: tuple
    path: Path | None = None

    @property
    def object_name(self) -> str:
        """The name Oracle's object really has: spaces kept."""
        return f"service_pack/{self.arch.lower()}/{self.name}/1.0/{self.slug}"

    @property
    def index_path(self) -> str:
        """The name as the index's `path` spells it: underscores for spaces."""
        return f"service_pack/{self.arch.lower()}/{self.name.replace(' ', '_')}/1.0/{self.slug}"


SERVICE_PACKS = (
    ServicePack(
        "tdscpu_p311_cpu_v1",
        "Test Data Science for CPU on Python 3.11",
        "CPU",
        ("python", "ipykernel", TEST_APP),
        ("ipykernel (v6)", f"{TEST_APP} (v1.0)"),
    ),
    ServicePack(
        "tdsgpu_p311_gpu_v1",
        "Test Data Science for GPU on Python 3.11",
        "GPU",
        ("python", TEST_LIB),
        (f"{TEST_LIB} (v1.0)",),
    ),
)


def build_service_pack(channel: Path, work: Path, pack: ServicePack) -> Path:
    """A real pack whose own manifest is a service pack's (type data_science)."""
    manifest = {"name": pack.name, "version": "1.0", "slug": pack.slug, "type": "data_science",
                "arch_type": pack.arch, "manifest_version": "1.0"}  # fmt: skip
    env_file = write_env_file(work / "envfiles" / pack.slug, pack.slug, [channel],
                              list(pack.specs), manifest=manifest)  # fmt: skip
    settings = settings_for(work / "conda")
    prefix = Path(create_env(settings, env_file, no_kernel=True)["prefix"])
    manifest_file = prefix / f"{pack.slug}_manifest.yaml"
    document = yaml.safe_load(manifest_file.read_text())
    document["manifest"].update(arch_type=pack.arch, type="data_science")
    manifest_file.write_text(yaml.safe_dump(document, sort_keys=False))
    return Path(pack_env(settings, pack.slug, compress_level=1)["pack_path"])


def par_url(server, name: str, token: str = "PARtoken-readonly") -> str:
    return (
        f"{server.endpoint}/p/{token}/n/{DEFAULT_NAMESPACE}/b/{SERVICE_BUCKET}/o/"
        f"{quote(name, safe='/')}"
    )


def index_entry(server, pack: ServicePack) -> dict:
    """An entry as Oracle's index has it."""
    return {
        "arch_type": pack.arch,
        "create_date": "Mon, Jan 08, 2024, 10:00:00  UTC",
        "description": f"{pack.name}: a pack for the tests.\nSecond line.\n",
        "libraries": list(pack.libraries),
        "logo": "test_logo",
        "logo_src": LOGO,
        "manifest_version": "1.0",
        "name": pack.name,
        "notebooks": [f"notebooks/{pack.slug}/"],
        "pack_path": f"oci://{SERVICE_BUCKET}@{DEFAULT_NAMESPACE}/{pack.index_path}",
        "par": par_url(server, pack.object_name),
        "path": pack.index_path,
        "python": "3.11",
        "size_mb": round(pack.path.stat().st_size / 2**20, 2),
        "slug": pack.slug,
        "type": "data_science",
        "version": "1.0",
    }


def fill_service_bucket(server, packs) -> dict:
    """Upload the packs and the index; returns the index document."""
    server.create_bucket(SERVICE_BUCKET, DEFAULT_NAMESPACE)
    for pack in packs:
        server.put(SERVICE_BUCKET, pack.object_name, pack.path.read_bytes(),
                   namespace=DEFAULT_NAMESPACE)  # fmt: skip
    document = {"service_packs": [index_entry(server, pack) for pack in packs]}
    server.put(SERVICE_BUCKET, INDEX_KEY, json.dumps(document, indent=2).encode(),
               namespace=DEFAULT_NAMESPACE)  # fmt: skip
    return document


@pytest.fixture(scope="session", name="service_pack_files")
def service_pack_files_fixture(conda_channel, tmp_path_factory) -> tuple:
    work = tmp_path_factory.mktemp("service-packs")
    return tuple(
        ServicePack(
            p.slug, p.name, p.arch, p.specs, p.libraries, build_service_pack(conda_channel, work, p)
        )  # fmt: skip
        for p in SERVICE_PACKS
    )


@pytest.fixture(name="service_bucket")
def service_bucket_fixture(object_storage, service_pack_files) -> dict:
    """The test server holding Oracle's bucket; returns the index document."""
    return fill_service_bucket(object_storage, service_pack_files)
