"""What `conda-pack-ext status` and `GET /conda-pack-ext/status` report."""

from __future__ import annotations

from . import __version__
from .engines import available_builders
from .preflight import host_subdir, nvidia_driver_present
from .settings import Settings


def status(settings: Settings) -> dict:
    return {
        "version": __version__,
        "builders": available_builders(),
        "engine": settings.engine,
        "conda_pack_folder": str(settings.pack_folder),
        "store_uri": settings.store_uri,
        "auth": settings.auth_mode,
        "config_path": str(settings.config_path),
        # what the explorer compares packs with (GPU packs need an NVIDIA driver)
        "host": {"platform": host_subdir(), "nvidia_driver": nvidia_driver_present()},
    }
