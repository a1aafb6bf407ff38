"""The operations every front end runs: the CLI, the REST jobs and the panel call these.

Each operation takes `params` (the CLI's long option names with `_` for `-`, the same keys
the REST API's `POST jobs` accepts) and a Progress, and returns a JSON-able dict.
Settings flags inside params (conda_pack_folder, conda_pack_os_prefix, auth, oci_config,
oci_profile, os_endpoint, engine, ...) override ADS's config file.
"""

from __future__ import annotations

import importlib

from .errors import InvalidInput
from .progress import Progress
from .safe_yaml import clip, shorten
from .settings import Settings, load_settings

SETTING_PARAMS = (
    "conda_pack_folder",
    "conda_pack_os_prefix",
    "auth",
    "oci_config",
    "oci_profile",
    "os_endpoint",
    "engine",
    "container_image",
    "docker_host",
    "service_index",
)

# kind -> "module:function"; each function is f(params: dict, settings: Settings, progress) -> dict
OPERATIONS = {
    "create": "conda_pack_ext.create:create_operation",
    "pack": "conda_pack_ext.pack:pack_operation",
    "install": "conda_pack_ext.install:install_operation",
    "uninstall": "conda_pack_ext.install:uninstall_operation",
    "publish": "conda_pack_ext.publish:publish_operation",
    "unpublish": "conda_pack_ext.publish:unpublish_operation",
    "publish_service": "conda_pack_ext.service_copy:publish_from_service_operation",
    "clean": "conda_pack_ext.cleanup:clean_operation",
}

# The params each kind accepts (beyond SETTING_PARAMS); anything else is refused.
CREATE_PARAMS = {
    "environment_file",
    "environment",
    "name",
    "version",
    "default_version",
    "gpu",
    "overwrite",
    "no_kernel",
    "image",
    "from_lock",  # rebuild a lock's exact package set (rebuild.py)
    "clone",  # copy an installed env to a new slug (clone.py)
}
PARAMS = {
    "create": CREATE_PARAMS,
    "pack": {"slug", "compress_level", "overwrite"},
    "install": {"conda_uri", "slug", "overwrite", "no_kernel", "sha256", "service", "force"},
    "uninstall": {"slug"},
    "publish": {"slug", *CREATE_PARAMS} - {"from_lock", "clone"},  # -f creates the env first
    "unpublish": {"slug"},
    "publish_service": {"slug", "overwrite"},
    "clean": {"dry_run"},
}


def settings_for(params: dict, ads_config_dir: str | None = None) -> Settings:
    flags = {name: params.get(name) for name in SETTING_PARAMS}
    return load_settings(ads_config_dir=ads_config_dir, **flags)


def validate_params(kind: str, params: dict) -> None:
    if kind not in OPERATIONS:
        raise InvalidInput(f"unknown kind {shorten(kind)}", f"use one of: {', '.join(OPERATIONS)}")
    if not isinstance(params, dict):
        raise InvalidInput("params must be a JSON object")
    unknown = set(params) - PARAMS[kind] - set(SETTING_PARAMS)
    if unknown:
        raise InvalidInput(
            f"unknown parameter(s) for {kind}: {clip(', '.join(sorted(unknown)), 200)}",
            f"{kind} accepts: {', '.join(sorted(PARAMS[kind] | set(SETTING_PARAMS)))}",
        )


def resolve(kind: str):
    module_name, function_name = OPERATIONS[kind].split(":")
    return getattr(importlib.import_module(module_name), function_name)


def run_operation(
    kind: str,
    params: dict,
    progress: Progress | None = None,
    ads_config_dir: str | None = None,
) -> dict:
    """Validate params, load settings, and run one operation to its end."""
    validate_params(kind, params)
    settings = settings_for(params, ads_config_dir)
    return resolve(kind)(params, settings, progress or Progress())
