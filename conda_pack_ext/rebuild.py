"""`create --from-lock` and `create --clone`: new envs from existing ones, exactly.

--from-lock SOURCE rebuilds the exact package set of a lock file, a pack, an installed env
or a published pack (contents.py reads them all), months later, even when the channels now
hold newer versions: nothing is solved (engines/rattler_locked.py). The new env's manifest
holds, as its environment file, the locked set pinned to exact versions and builds.
"""

from __future__ import annotations

import yaml

from .contents import read_contents
from .create import create_env
from .errors import InvalidInput
from .lock import Lock, check_platform
from .progress import Progress
from .settings import Settings


def rebuild_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """`create` with `from_lock` or `clone` (operations.PARAMS["create"])."""
    if params.get("from_lock") and params.get("clone"):
        raise InvalidInput("give either --from-lock or --clone, not both")
    if params.get("environment_file") or params.get("environment"):
        raise InvalidInput("--from-lock and --clone take no environment file (-f)")
    options = {
        "name": params.get("name"),
        "version": params.get("version"),
        "overwrite": bool(params.get("overwrite")),
        "no_kernel": bool(params.get("no_kernel")),
        "progress": progress,
    }
    if params.get("clone"):
        from .clone import clone_env

        return clone_env(settings, params["clone"], **options)
    return create_from_lock(settings, params["from_lock"], gpu=bool(params.get("gpu")), **options)


def create_from_lock(
    settings: Settings,
    source: str,
    *,
    name: str | None = None,
    version: str | None = None,
    gpu: bool = False,
    overwrite: bool = False,
    no_kernel: bool = False,
    progress: Progress | None = None,
) -> dict:
    """Build `<pack folder>/<slug>` with exactly the packages locked in `source`; returns
    what create_env returns. A locked package that cannot be fetched fails the build,
    naming it and its URL, and leaves nothing behind."""
    progress = progress or Progress()
    progress.phase("reading the lock")
    contents = read_contents(source, settings)
    if contents.requested is not None:
        raise InvalidInput(
            f"{source} is an environment file, not a lock",
            f"build it with `conda-pack-ext create -f {source}`",
        )
    lock = contents.lock()
    check_platform(lock, source)
    if not lock.conda:
        raise InvalidInput(f"{source} locks no conda packages", "give a lock of a conda env")
    manifest = contents.manifest
    name = name or str(manifest.get("name") or "") or None
    if not name:
        raise InvalidInput(f"{source} does not name its environment", "pass -n/--name")
    text = locked_environment_text(lock, name)
    return create_env(
        settings,
        environment=text,
        name=name,
        version=version,
        gpu=gpu or str(manifest.get("arch_type", "")).upper() == "GPU",
        overwrite=overwrite,
        no_kernel=no_kernel,
        engine="rattler",
        progress=progress,
        locked=lock,
    )


def locked_environment_text(lock: Lock, name: str) -> str:
    """An environment file of the locked set, every package pinned to version and build
    (what the rebuilt env's manifest records as its environment)."""
    channels = list(dict.fromkeys(p.channel for p in lock.conda if p.channel))
    dependencies: list = [f"{p.name}=={p.version}={p.build}" for p in lock.conda]
    if lock.pypi:
        dependencies.append({"pip": [p.requirement or f"{p.name}=={p.version}" for p in lock.pypi]})
    document = {"name": name, "channels": channels, "dependencies": dependencies}
    return yaml.safe_dump(document, sort_keys=False)
