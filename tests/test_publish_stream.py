"""publish of an env without a current pack uploads the pack while it is written: parts
go to the store during the packing, the checksum goes beside the pack, installs verify it
wherever it comes from, and a cancel leaves nothing (no pending upload, no object, no
index entry, no partial pack file)."""

from __future__ import annotations

import hashlib
import json

import pytest

from conda_pack_ext.errors import Cancelled, InvalidInput, StoreError
from conda_pack_ext.install import install_pack
from conda_pack_ext.pack import pack_path
from conda_pack_ext.pack_files import find_pack
from conda_pack_ext.progress import Progress
from conda_pack_ext.publish import list_published, publish_operation, resolve_slug
from conda_pack_ext.settings import load_settings
from tests import test_publish

pytestmark = pytest.mark.slow

# test_publish's env and store, for this module too
built_env, pack_folder = test_publish.built_env, test_publish.pack_folder
oci_configured = test_publish.oci_configured
SLUG = test_publish.SLUG

KEY = f"conda/cpu/storetest/1.0/{SLUG}"


class PartsWhilePacking(Progress):
    """Counts the parts the server has received while the pack is still being written;
    cancels once `cancel_after` parts are in, when given."""

    def __init__(self, server, cancel_after: int | None = None):
        super().__init__()
        self.server = server
        self.cancel_after = cancel_after
        self.parts_while_packing = 0

    def on_change(self) -> None:
        if self.phase_name == "packing":
            self.parts_while_packing = self.server.count("upload_part")
            if self.cancel_after and self.parts_while_packing >= self.cancel_after:
                self.cancel_event.set()


def test_the_pack_is_uploaded_while_it_is_written_and_installs_verified(
    oci_configured, pack_folder, tmp_path
):
    server = oci_configured
    settings = load_settings()
    assert find_pack(settings, SLUG) is None
    progress = PartsWhilePacking(server)
    published = publish_operation({"slug": SLUG}, settings, progress)
    assert progress.parts_while_packing >= 2  # parts went up before the packing ended

    # the object is the local pack, byte for byte; the local pack is current, as after pack
    local = pack_path(settings, SLUG)
    assert find_pack(settings, SLUG) == local
    data = server.object_bytes("packs", KEY)
    assert data == local.read_bytes()
    assert hashlib.sha256(data).hexdigest() == published["sha256"]
    assert server.pending_uploads() == []
    assert [e["sha256"] for e in list_published(settings, rescan=True)] == [published["sha256"]]

    # installs check the pack against the checksum beside it
    source = resolve_slug(SLUG, settings)
    assert source.sha256 == published["sha256"]
    target = load_settings(conda_pack_folder=str(tmp_path / "target"))
    assert install_pack(source, target, no_kernel=True)["sha256"] == published["sha256"]

    # a pack whose bytes differ from the recorded sha256 is refused
    checksum = json.loads(server.object_bytes("packs", f"{KEY}.sha256.json"))
    server.put("packs", f"{KEY}.sha256.json", json.dumps({**checksum, "sha256": "0" * 64}).encode())
    other = load_settings(conda_pack_folder=str(tmp_path / "other"))
    with pytest.raises(InvalidInput, match="checksum mismatch"):
        install_pack(resolve_slug(SLUG, settings), other, no_kernel=True)
    assert not (other.pack_folder / SLUG).exists()

    # a checksum that names another object (another size or etag) is not used
    server.put("packs", f"{KEY}.sha256.json", json.dumps({**checksum, "etag": "x"}).encode())
    assert resolve_slug(SLUG, settings).sha256 is None


def test_a_cancel_while_uploading_leaves_nothing(oci_configured, pack_folder):
    server = oci_configured
    settings = load_settings()
    progress = PartsWhilePacking(server, cancel_after=2)
    with pytest.raises(Cancelled):
        publish_operation({"slug": SLUG}, settings, progress)
    assert progress.parts_while_packing >= 2
    assert server.pending_uploads() == []
    assert server.object_names("packs") == []  # no object, no checksum, no index
    packs = pack_path(settings, SLUG).parent
    assert sorted(p.name for p in packs.iterdir() if "tar.gz" in p.name) == []


def test_a_failing_part_while_packing_fails_the_publish_and_leaves_nothing(
    oci_configured, pack_folder
):
    server = oci_configured
    settings = load_settings()
    server.add_fault("status", "upload_part", part=3, status=503, times=1000)
    with pytest.raises(StoreError, match="part 3"):
        publish_operation({"slug": SLUG}, settings, Progress())
    assert server.pending_uploads() == [] and server.object_names("packs") == []
    packs = pack_path(settings, SLUG).parent
    assert sorted(p.name for p in packs.iterdir() if "tar.gz" in p.name) == []


def test_the_folder_store_is_written_while_packing(pack_folder, tmp_path):
    store = tmp_path / "store"
    settings = load_settings(
        conda_pack_os_prefix=store.as_uri(), conda_pack_folder=str(pack_folder)
    )
    published = publish_operation({"slug": SLUG}, settings, Progress())
    folder = store / "cpu/storetest/1.0"
    assert (folder / SLUG).read_bytes() == pack_path(settings, SLUG).read_bytes()
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []
    source = resolve_slug(SLUG, settings)
    assert source.sha256 == published["sha256"]
    checksum = folder / f"{SLUG}.sha256.json"
    checksum.write_text(json.dumps({**json.loads(checksum.read_text()), "sha256": "1" * 64}))
    target = load_settings(conda_pack_folder=str(tmp_path / "target"))
    with pytest.raises(InvalidInput, match="checksum mismatch"):
        install_pack(resolve_slug(SLUG, settings), target, no_kernel=True)
