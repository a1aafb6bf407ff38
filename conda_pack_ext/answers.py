"""The operations that answer rather than run as jobs: list, status, configure, usage,
inspect, diff and sbom.

Each is `f(params, settings, progress) -> dict`, like the jobs' operations, so that the
command line runs every verb the same way (operations/table.py declares them); the REST
API's GET routes call the same core functions.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InvalidInput
from .progress import Progress
from .settings import CONFIG_KEYS, Settings, load_settings, write_config


def list_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """{"source": local|published|service, "where", "entries", "warnings"} (and for
    published packs "store_uri"): installed envs by default."""
    if params.get("service"):
        if params.get("rescan"):
            raise InvalidInput("--rescan applies to --published only")
        from .service_packs import service_packs

        index, rows = service_packs(settings)
        return {"source": "service", "where": index, "entries": rows, "warnings": []}
    if params.get("published"):
        from .publish import list_published

        warnings: list[str] = []
        entries = list_published(settings, rescan=bool(params.get("rescan")), warnings=warnings)
        for warning in warnings:
            progress.warn(warning)
        return {
            "source": "published",
            "where": settings.store_uri,
            "store_uri": settings.store_uri,
            "entries": entries,
            "warnings": warnings,
        }
    if params.get("rescan") or params.get("conda_pack_os_prefix"):
        raise InvalidInput("--rescan and -p apply to --published only")
    from .local_envs import list_local

    return {
        "source": "local",
        "where": str(settings.pack_folder),
        "entries": list_local(settings),
        "warnings": [],
    }


def status_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """Builders, pack folder, store and auth in effect (status.py)."""
    from .status import status

    return status(settings)


def configure_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """Write the given settings into ADS's config.ini; answers {"written", "config_path",
    "settings"} with the settings in effect afterwards."""
    values = {name: params[name] for name in CONFIG_KEYS if params.get(name) not in (None, "")}
    path = write_config(values, settings.ads_config_dir) if values else None
    flags = {name: params.get(name) for name in CONFIG_KEYS}
    after = load_settings(ads_config_dir=settings.ads_config_dir, **flags)
    return {
        "written": sorted(values),
        "config_path": str(path) if path else None,
        "settings": after.public(),
    }


def usage_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """What to paste to use a pack in an OCI Data Science resource (oci_usage.py)."""
    from .oci_usage import usage

    if params.get("service") and not params.get("slug"):
        raise InvalidInput("--service names a service pack by slug: give -s SLUG")
    return usage(params, settings)


def inspect_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """The manifest and packages of a pack, env, lock or published pack (contents.py)."""
    from .contents import read_contents

    contents = read_contents(params["source"], settings, published=bool(params.get("published")))
    return contents.summary()


def diff_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """The packages added, removed and changed from A to B (diff.py)."""
    from .contents import read_contents
    from .diff import diff_contents

    return diff_contents(read_contents(params["a"], settings), read_contents(params["b"], settings))


def sbom_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """A CycloneDX 1.5 SBOM of SOURCE: {"sbom": text}, or {"output": path} once written
    to `params["output"]`."""
    from .contents import read_contents
    from .manifest import write_text_atomically
    from .sbom import sbom_text

    source = params["source"]
    contents = read_contents(source, settings, published=bool(params.get("published")))
    info = contents.manifest
    name = str(info.get("slug") or info.get("name") or Path(source).name)
    text = sbom_text(contents.lock(), name, str(info.get("version") or ""))
    if not params.get("output"):
        return {"sbom": text}
    output = Path(params["output"]).absolute()
    write_text_atomically(output, text)
    return {"output": str(output)}
