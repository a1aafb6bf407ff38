"""`create`: build a conda environment from an environment file into the pack folder, with
ADS's manifest beside its files.

Where the build happens. conda environments hold their absolute prefix in many files, so an
env built in a temporary folder and renamed afterwards would point at the temporary folder
(only conda-unpack fixes that, and only for packed envs). So an environment is always built
at its final path, `<pack folder>/<slug>`:
- when that path is free, the build goes there and a failed build is removed;
- with --overwrite, the old env is first renamed aside to `<pack folder>/.<slug>.previous`
  (a rename keeps every file intact), the new one is built at the final path, and then the
  old one is deleted; if the build fails, the partial build is deleted and the old env is
  renamed back, where it works again as before.
A marker `<pack folder>/.<slug>.building` exists while a build runs. If the process dies
mid-build (power loss, kill -9), the next operation on that slug finds the marker, removes
the partial build and puts the previous env back.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import shutil
import time
from pathlib import Path

from . import kernels
from .engines import EXTERNAL_TOOLS
from .env_folder import check_replaceable
from .envfile import (
    EnvFile,
    load_env_file,
    normalize_name,
    parse_env_text,
    pip_requirement_name,
    resolve_identity,
    spec_name,
)
from .errors import Conflict, InvalidInput, os_failure
from .manifest import (
    CREATED_BY,
    MANIFEST_VERSION,
    PACK_FIELDS,
    ads_create_date,
    env_prefix,
    slug_lock,
    write_manifest,
    write_text_atomically,
)
from .progress import Progress
from .settings import ENGINES, Settings

BUILD_MARKER_SUFFIX = ".building"


def create_env(
    settings: Settings,
    environment_file: str | os.PathLike | None = None,
    *,
    environment: str | None = None,
    name: str | None = None,
    version: str | None = None,
    default_version: str | None = None,
    gpu: bool = False,
    overwrite: bool = False,
    no_kernel: bool = False,
    engine: str | None = None,
    image: str | None = None,
    progress: Progress | None = None,
    locked=None,
) -> dict:
    """Build `<pack folder>/<slug>` from an environment file (a path, or its text in
    `environment`) and write `<slug>_manifest.yaml` into it. With `locked` (a lock.Lock),
    install exactly its packages instead of solving the file's specs.

    Returns {slug, prefix, manifest, name, version, engine, python, kernel, warnings,
    seconds}; the container engine also packs the env and adds {pack_path, sha256, size,
    size_mb}. Raises InvalidInput, NotFound, Conflict (exists without overwrite, or busy),
    BuildFailed or Cancelled; a failed build leaves nothing behind and keeps an old env.
    """
    progress = progress or Progress()
    started = time.monotonic()
    env = _load(environment_file, environment)
    identity = resolve_identity(env, name, version, default_version)
    engine = (engine or settings.engine or "auto").strip()
    if engine not in ENGINES:
        raise InvalidInput(f"unknown engine {engine!r}", f"use one of: {', '.join(ENGINES)}")
    folder = settings.pack_folder
    prefix = env_prefix(folder, identity.slug)
    if env.path and overwrite and env.path.is_relative_to(prefix):
        raise InvalidInput(
            f"the environment file {env.path} is inside {prefix}, which --overwrite replaces",
            "copy the file somewhere else first",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise os_failure(error, f"creating the pack folder {folder}") from None

    with slug_lock(folder, identity.slug, "build"):
        recover_interrupted_build(folder, identity.slug)
        if prefix.exists() and not overwrite:
            raise Conflict(
                f"environment {identity.slug} already exists at {prefix}",
                "pass -o/--overwrite to replace it (it is kept if the new build fails)",
            )
        check_replaceable(prefix)
        previous = _previous_path(folder, identity.slug)
        marker = _marker_path(folder, identity.slug)
        marker.write_text(str(os.getpid()))
        progress.temp_path(marker)
        try:
            if prefix.exists():
                os.rename(prefix, previous)
            result = (
                _build_locked(locked, prefix, progress)
                if locked is not None
                else _build(env, prefix, engine, gpu, not no_kernel, image, settings, progress)
            )
            progress.check_cancelled()
            if result.get("kernel_added"):
                progress.log("added ipykernel so that the environment runs as a Jupyter kernel")
            write_env_vars(prefix, env.variables)
            document = _manifest_document(env, identity, gpu, result, prefix)
            manifest_file = write_manifest(prefix, document, identity.slug)
            # A container build packs in its container too (the pack holds the manifest).
            packed = (
                _pack_in_container(result, prefix, settings, progress)
                if engine == "container"
                else {}
            )
        except BaseException as error:
            _remove_tree(prefix)
            if previous.exists():
                os.rename(previous, prefix)
                progress.log(f"the previous {identity.slug} was kept")
            marker.unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise os_failure(error, f"building {prefix}") from None
            raise
        marker.unlink(missing_ok=True)
        _remove_tree(previous)
        # A built env is usable at once, like an installed one: users open a notebook on it
        # before (or without) packing it.
        kernel_names = (
            []
            if no_kernel
            else kernels.register_kernels(
                prefix, identity.slug, document["manifest"], document, progress
            )
        )

    info = document["manifest"]
    return {
        "slug": identity.slug,
        "prefix": str(prefix),
        "manifest": str(manifest_file),
        "name": identity.name,
        "version": identity.version,
        "engine": info["engine"],
        "python": info.get("python", ""),
        "kernel": info["kernel"],
        "kernels": kernel_names,
        "warnings": list(progress.warnings),
        "seconds": round(time.monotonic() - started, 1),
        **packed,
    }


def create_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """The `create` operation (CLI and REST): params as in operations.PARAMS["create"]."""
    if params.get("from_lock") or params.get("clone"):
        from .rebuild import rebuild_operation

        return rebuild_operation(params, settings, progress)
    if not params.get("environment_file") and not params.get("environment"):
        raise InvalidInput(
            "no environment file given", "pass -f/--environment-file (or 'environment' text)"
        )
    return create_env(
        settings,
        params.get("environment_file"),
        environment=params.get("environment"),
        name=params.get("name"),
        version=params.get("version"),
        default_version=params.get("default_version"),
        gpu=bool(params.get("gpu")),
        overwrite=bool(params.get("overwrite")),
        no_kernel=bool(params.get("no_kernel")),
        image=params.get("image"),
        progress=progress,
    )


def recover_interrupted_build(pack_folder: Path, slug: str) -> bool:
    """Undo a build that died midway (its marker is still there): remove the partial env and
    put the previous one back. Call with the slug's lock held. Returns whether it did."""
    marker = _marker_path(pack_folder, slug)
    if not marker.exists():
        return False
    prefix = pack_folder / slug
    previous = _previous_path(pack_folder, slug)
    _remove_tree(prefix)
    if previous.exists():
        os.rename(previous, prefix)
    marker.unlink(missing_ok=True)
    return True


def recover_from_marker(marker: Path) -> bool:
    """`recover_interrupted_build` for the build whose `.<slug>.building` marker this is,
    under the slug's lock. Returns whether there was a build to undo."""
    slug = build_marker_slug(marker)
    if slug is None or not marker.exists():
        return False
    with slug_lock(marker.parent, slug, "clean up after"):
        return recover_interrupted_build(marker.parent, slug)


def build_marker_slug(path: str | os.PathLike) -> str | None:
    """The slug of a build marker path (`<pack folder>/.<slug>.building`), else None."""
    name = Path(path).name
    if name.startswith(".") and name.endswith(BUILD_MARKER_SUFFIX):
        return name[1 : -len(BUILD_MARKER_SUFFIX)] or None
    return None


def write_env_vars(prefix: Path, variables: dict[str, str]) -> None:
    """Record `variables:` where conda keeps them (`conda-meta/state`), so that
    `conda activate` sets them and `conda env config vars list` shows them."""
    if not variables:
        return
    state_file = prefix / "conda-meta" / "state"
    state = {}
    if state_file.exists():
        try:
            state = json.loads(state_file.read_text(encoding="utf-8")) or {}
        except ValueError:
            state = {}
    state.setdefault("env_vars", {}).update(variables)
    write_text_atomically(state_file, json.dumps(state, indent=2) + "\n")


def _load(environment_file, environment) -> EnvFile:
    if environment_file:
        return load_env_file(environment_file)
    if environment:
        return parse_env_text(environment, Path.cwd())
    raise InvalidInput("no environment file given", "pass -f/--environment-file")


def _build(env, prefix, engine, gpu, add_kernel, image, settings, progress) -> dict:
    # Each engine is imported when chosen: rattler's native module and docker stay out of
    # the server's start-up.
    if engine in ("auto", "rattler"):
        from .engines import rattler_engine

        return rattler_engine.build(env, prefix, add_kernel=add_kernel, gpu=gpu, progress=progress)
    if engine in EXTERNAL_TOOLS:
        from .engines import conda_engine

        return conda_engine.build(
            engine, env, prefix, add_kernel=add_kernel, gpu=gpu, progress=progress
        )
    from .engines import container_engine  # engine == "container"

    return container_engine.build(
        env,
        prefix,
        add_kernel=add_kernel,
        gpu=gpu,
        image=image,
        settings=settings,
        progress=progress,
    )


def _build_locked(lock, prefix: Path, progress: Progress) -> dict:
    from .engines.rattler_locked import build_locked

    return build_locked(lock, prefix, progress=progress)


def _pack_in_container(result: dict, prefix: Path, settings: Settings, progress) -> dict:
    """{pack_path, sha256, size, size_mb}: the pack that the container engine wrote."""
    from .engines import container_engine

    packed = container_engine.pack(result, prefix, settings=settings, progress=progress)
    return {k: packed[k] for k in ("pack_path", "sha256", "size", "size_mb")}


def _manifest_document(env: EnvFile, identity, gpu: bool, result: dict, prefix: Path) -> dict:
    """The environment file as given, plus ADS's `manifest:` fields and ours."""
    records = result.get("records") or {}
    pip_versions = pip_distributions(prefix)
    has_kernel = "ipykernel" in records or "ipykernel" in pip_versions
    manifest = {
        k: v
        for k, v in env.manifest.items()
        if k not in (*PACK_FIELDS, "pack_path", "pack_uri")  # they described another pack
    }
    manifest.update(
        name=identity.name,
        version=identity.version,
        slug=identity.slug,
        type=manifest.get("type") or "published",
        arch_type="GPU" if gpu else "CPU",
        manifest_version=MANIFEST_VERSION,
        create_date=ads_create_date(),
        created_by=CREATED_BY,
        python=records.get("python", ""),
        engine=result["engine"],
        libraries=_libraries(env, records, pip_versions),
        kernel=has_kernel,
    )
    document = {k: v for k, v in env.data.items() if k != "manifest"}
    document["manifest"] = manifest
    return document


def _libraries(env: EnvFile, records: dict, pip_versions: dict) -> list[str]:
    """The packages the file asked for, with the versions installed: conda's as
    `name=version`, pip's as `name==version`."""
    libraries = []
    for spec in env.conda_specs:
        name = spec_name(spec)
        if name in records:
            libraries.append(f"{name}={records[name]}")
    for line in env.pip_requirements:
        name = pip_requirement_name(line)
        if name in pip_versions:
            libraries.append(f"{name}=={pip_versions[name]}")
    return libraries


def pip_distributions(prefix: Path) -> dict[str, str]:
    """Normalized project name -> version of the Python distributions in the env."""
    versions = {}
    for site_packages in prefix.glob("lib/python3*/site-packages"):
        for dist in importlib.metadata.distributions(path=[str(site_packages)]):
            name = dist.metadata["Name"]
            if name:
                versions[normalize_name(name)] = dist.version
    return versions


def _previous_path(folder: Path, slug: str) -> Path:
    return folder / f".{slug}.previous"


def _marker_path(folder: Path, slug: str) -> Path:
    return folder / f".{slug}{BUILD_MARKER_SUFFIX}"


def _remove_tree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)
