"""Pack stores: OCI Object Storage (`oci://bucket@namespace/prefix`) and local folders
(`file:///absolute/folder`) behind one interface, plus publishing and the index."""

from .base import ObjectInfo, PackStore, open_store

__all__ = ["ObjectInfo", "PackStore", "open_store"]
