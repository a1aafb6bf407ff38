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
from tests.support.object_storage import ObjectStorageServer  # noqa: E402
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


def _throwaway_key() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def start_service_bucket(channel: Path, root: Path) -> dict:
    """Start the server with Oracle's bucket; answers the settings that read it."""
    server = ObjectStorageServer().start()
    fill_service_bucket(server, service_pack_files(channel))
    folder = root / "oci"
    folder.mkdir(parents=True)
    key = folder / "key.pem"
    key.write_bytes(_throwaway_key())
    key.chmod(0o600)
    config = folder / "config"
    config.write_text(
        "[DEFAULT]\n"
        "user=ocid1.user.oc1..aaaaaaaatestuser\n"
        "fingerprint=aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99\n"
        "tenancy=ocid1.tenancy.oc1..aaaaaaaatesttenancy\n"
        "region=us-ashburn-1\n"
        f"key_file={key}\n"
    )
    return {
        "auth": "api_key",
        "oci_config": str(config),
        "os_endpoint": server.endpoint,
        "service_index": f"oci://{SERVICE_BUCKET}@{DEFAULT_NAMESPACE}/{INDEX_KEY}",
    }
