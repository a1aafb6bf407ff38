"""Oracle's service pack bucket for the browser tests: the suite's Object Storage server
(tests/support/object_storage.py) in a thread of the Jupyter server, holding the test
service packs (tests/support/service_bucket.py) laid out as Oracle's bucket, and an OCI
config with a throwaway API key that signs requests to it.

The packs are built from the local channel once per channel build and kept in the
repository's .cache folder, so the server starts quickly on later runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test support modules live in the repository's tests/

from conda_pack_ext.service_packs import DEFAULT_NAMESPACE, SERVICE_BUCKET  # noqa: E402
from tests.support.object_storage import (  # noqa: E402
    ObjectStorageServer,
    throwaway_key_pem,
    write_oci_config,
)
from tests.support.service_bucket import (  # noqa: E402
    INDEX_KEY,
    SERVICE_PACKS,
    ServicePack,
    build_service_pack,
    fill_service_bucket,
)


def service_pack_files(channel: Path) -> tuple[ServicePack, ...]:
    """The test service packs, built from `channel` the first time."""
    work = REPO / ".cache" / f"ui-service-packs-{channel.name}"
    packs = []
    for pack in SERVICE_PACKS:
        built = work / "conda" / ".packs" / f"{pack.slug}.tar.gz"
        if not built.is_file():
            built = build_service_pack(channel, work, pack)
        packs.append(
            ServicePack(pack.slug, pack.name, pack.arch, pack.specs, pack.libraries, built)
        )
    return tuple(packs)


def start_service_bucket(channel: Path, root: Path) -> dict:
    """Start the server with Oracle's bucket; answers the settings that read it."""
    server = ObjectStorageServer().start()
    fill_service_bucket(server, service_pack_files(channel))
    config = write_oci_config(root / "oci", throwaway_key_pem())
    return {
        "auth": "api_key",
        "oci_config": str(config),
        "os_endpoint": server.endpoint,
        "service_index": f"oci://{SERVICE_BUCKET}@{DEFAULT_NAMESPACE}/{INDEX_KEY}",
    }
