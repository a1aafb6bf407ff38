"""The `container` engine: build an environment inside a container, through any Docker-API
engine (Docker, or Podman's `podman system service`).

create.py calls `build()` as it calls the other engines, holding the slug's lock; it writes
the manifest afterwards and then calls `pack()`, which packs the env in a second container of
the same image into a temporary `.part` file beside where `pack` puts packs
(`<pack folder>/.packs/<slug>.tar.gz`). The host checks the file's sha256, renames it and
records it (sidecar and manifest) as `pack` does, so a container build ends exactly like a
native build followed by `pack`. The container never takes the slug's lock: the host holds
it. The pack folder is mounted at its own absolute path, so the env's prefix inside the
container is the host's `<pack folder>/<slug>`: the env works in place on the host and its
pack relocates like a native one. Only the pack folder (read-write), the environment
file's folder and local `file://` channels (read-only) are mounted. The container runs as the
host user's uid:gid, so every file it writes belongs to that user; it is removed at the end,
whatever happens, and a cancel kills it.

What runs inside depends on the image:
- `conda-pack-ext` installed: its embedded engine and its pack writer, through
  container_main.py (`python -m conda_pack_ext.engines.container_main`), which prints the result as
  JSON;
- `conda` only (like ADS's `ml-job` image): `conda env create --prefix ...`, then
  `python -m conda_pack.cli` with ADS's settings (compress level 7, all threads, missing files
  ignored); the host then writes the env's lock and SBOM beside that pack (pack_lock.py);
- neither: a clear error naming what the image lacks.

Two environment variables steer where and as whom the container runs (for sandboxes and
tests): CONDA_PACK_EXT_CONTAINER_NETWORK (a network mode such as "none" or "host") and
CONDA_PACK_EXT_CONTAINER_USER ("uid:gid").
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml

from ..envfile import EnvFile
from ..errors import BuildFailed, NotFound, os_failure
from ..manifest import find_manifest
from ..pack_files import file_sha256
from ..pack_lock import describe_beside
from ..progress import Progress
from ..settings import Settings
from .container_run import (  # noqa: F401 - the engine's errors and knobs, named here too
    CONTAINER_HOME,
    DEFAULT_IMAGE,
    ENVIRONMENT_VARIABLE,
    NETWORK_VARIABLE,
    USER_VARIABLE,
    ContainerRun,
    EngineUnreachable,
    ImageMissing,
    ImageUnusable,
    connect,
    container_run,
    require_image,
)

# The in-container entry point the image's conda-pack-ext runs (container_main.py).
ENTRY_MODULE = "conda_pack_ext.engines.container_main"
# ADS packs with conda_pack.pack(compress_level=7, n_threads=-1, ignore_missing_files=True).
ADS_COMPRESS_LEVEL = 7
# Prints {"sha256", "size"} of the file named by its argument.
CHECKSUM_SCRIPT = """\
import hashlib, json, sys
digest, size = hashlib.sha256(), 0
with open(sys.argv[1], "rb") as file:
    for block in iter(lambda: file.read(1 << 20), b""):
        digest.update(block)
        size += len(block)
print(json.dumps({"sha256": digest.hexdigest(), "size": size}))"""


def build(
    env: EnvFile,
    prefix: Path,
    *,
    add_kernel: bool,
    gpu: bool,
    image: str | None,
    settings: Settings,
    progress: Progress,
) -> dict:
    """Create `prefix` from `env` inside a container (the engine behind `--engine container`).

    The caller (create.py) holds the slug's lock, sets an old env aside and writes the
    manifest; the container only builds the env at `prefix`, which must not exist yet.
    `image` defaults to settings.container_image, then ADS's `ml-job`.
    Returns {"engine", "kernel_added", "records"} like the other engines, plus the image
    and the builder found in it.
    """
    image = image or settings.container_image or DEFAULT_IMAGE
    progress.phase(f"starting a container from {image}")
    client = connect(settings)
    require_image(client, image)
    run = container_run(client, image, _mounts(env, prefix.parent), progress)
    builder, interpreter = run.probe()
    if builder == "conda-pack-ext":
        result = _build_with_conda_pack_ext(run, interpreter, env, prefix, add_kernel, gpu)
    elif builder == "conda":
        result = _build_with_conda(run, env, prefix, add_kernel)
    else:
        raise ImageUnusable(
            f"image {image} has neither conda-pack-ext nor conda on its PATH",
            "use an image with conda (ADS's: `ads opctl build-image job-local` makes ml-job) "
            "or with conda-pack-ext installed (`pip install conda-pack-ext`), "
            "and pass it with --image or set container_image",
        )
    result.update(engine="container", image=image, builder=builder, interpreter=interpreter)
    return result


def pack(build_result: dict, prefix: Path, *, settings: Settings, progress: Progress) -> dict:
    """Pack the env that `build()` made at `prefix` (its manifest written) in a container of
    the same image, into `<pack folder>/.packs/<slug>.tar.gz`, and record it as
    pack.pack_env does (sidecar, sha256 and size_mb in the manifest).

    The caller holds the slug's lock. The container writes a `.part` file that the host
    verifies (sha256 and size) and renames; a failure or cancel leaves no file behind.
    Returns {pack_path, sha256, size, size_mb, compress_level}.
    """
    from .. import pack as packing

    slug = prefix.name
    output = packing.pack_path(settings, slug)
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.{os.getpid()}.part")
    progress.temp_path(temporary)
    # Only the pack folder is mounted: it holds the env and .packs.
    run = container_run(
        connect(settings), build_result["image"], {str(prefix.parent): "rw"}, progress
    )
    try:
        if build_result["builder"] == "conda-pack-ext":
            level = packing.DEFAULT_COMPRESS_LEVEL
            reported = _pack_with_conda_pack_ext(
                run, build_result["interpreter"], prefix, temporary, level
            )
        else:
            level = ADS_COMPRESS_LEVEL
            reported = _pack_with_conda_pack(run, prefix, temporary, level)
        progress.check_cancelled()
        sha256, size = file_sha256(temporary), temporary.stat().st_size
        if (reported.get("sha256"), reported.get("size", size)) != (sha256, size):
            raise BuildFailed(
                f"the pack written in {run.image} does not match what the container reported "
                f"(sha256 {sha256}, {size} bytes on the host)",
                "check the pack folder's disk and mount, then create again",
            )
        os.replace(temporary, output)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise os_failure(error, f"writing {output}") from None
        raise
    packing.record_pack(settings, slug, sha256, size, level)
    if build_result["builder"] != "conda-pack-ext":  # conda-pack wrote no lock into it
        describe_beside(prefix, find_manifest(prefix), output)
    return {
        "pack_path": str(output),
        "sha256": sha256,
        "size": size,
        "size_mb": round(size / 2**20, 2),
        "compress_level": level,
    }


def _build_with_conda_pack_ext(run, interpreter, env: EnvFile, prefix, add_kernel, gpu) -> dict:
    """The image's conda-pack-ext builds with its embedded engine (this module's main)."""
    command = [*shlex.split(interpreter), "-m", ENTRY_MODULE, "--prefix", str(prefix)]
    command += ["--base-dir", str(env.base_dir)]
    command += ["--source", str(env.path)] if env.path else []
    command += ["--add-kernel"] if add_kernel else []
    command += ["--gpu"] if gpu else []
    environment = {ENVIRONMENT_VARIABLE: yaml.safe_dump(env.data, sort_keys=False)}
    run.progress.phase("building in the container")
    stdout = run.script(
        "exec " + shlex.join(command), what=f"the build in {run.image}", environment=environment
    )
    answers = _json_documents(stdout)
    if not answers:
        raise BuildFailed(f"the build in {run.image} gave no result", "see the job's log")
    return answers[-1]


def _build_with_conda(run, env: EnvFile, prefix: Path, add_kernel: bool) -> dict:
    """`conda env create --prefix`, as ADS runs it in its ml-job image."""
    from .conda_engine import COMMANDS, _wants_python, installed_versions, portable_env_data

    data = portable_env_data(env)
    kernel_added = add_kernel and _wants_python(env) and not env.requests("ipykernel")
    if kernel_added:
        data["dependencies"] = list(data.get("dependencies") or []) + ["ipykernel"]
    env_copy = f"{CONTAINER_HOME}/environment.yaml"
    create = shlex.join(["conda", *COMMANDS["conda"], "--prefix", str(prefix), "--file", env_copy])
    script = f'printf "%s\\n" "${ENVIRONMENT_VARIABLE}" > {env_copy} && exec {create}'
    run.progress.phase("conda env create (in the container)")
    run.script(
        script,
        what=f"conda env create in {run.image}",
        environment={ENVIRONMENT_VARIABLE: yaml.safe_dump(data, sort_keys=False)},
    )
    return {"kernel_added": kernel_added, "records": installed_versions(prefix)}


def _pack_with_conda_pack_ext(run, interpreter, prefix: Path, output: Path, level: int) -> dict:
    """The image's conda-pack-ext writes the pack (this module's main with --pack-to)."""
    command = [*shlex.split(interpreter), "-m", ENTRY_MODULE, "--prefix", str(prefix)]
    command += ["--pack-to", str(output), "--compress-level", str(level)]
    run.progress.phase("packing (in the container)")
    stdout = run.script("exec " + shlex.join(command), what=f"packing in {run.image}")
    answers = _json_documents(stdout)
    if not answers:
        raise BuildFailed(f"packing in {run.image} gave no result", "see the job's log")
    return answers[-1]


def _pack_with_conda_pack(run, prefix: Path, output: Path, level: int) -> dict:
    """conda-pack's command line with ADS's settings, then the file's sha256 and size as the
    container sees them, for the host to compare with."""
    # conda-pack's command line is conda_pack.cli: the package itself has no __main__.
    pack = ["python", "-m", "conda_pack.cli", "--prefix", str(prefix), "--output", str(output)]
    pack += ["--format", "tar.gz", "--compress-level", str(level), "--n-threads", "-1"]
    pack += ["--ignore-missing-files", "--force"]
    # The same python reports the checksum: an image like ml-job need not have coreutils.
    checksum = ["python", "-c", CHECKSUM_SCRIPT, str(output)]
    run.progress.phase("conda-pack (in the container)")
    stdout = run.script(
        f"{shlex.join(pack)} && exec {shlex.join(checksum)}", what=f"conda-pack in {run.image}"
    )
    answers = _json_documents(stdout)
    if not answers or "sha256" not in answers[-1]:
        raise BuildFailed(f"conda-pack in {run.image} gave no sha256", "see the job's log")
    return answers[-1]


def _mounts(env: EnvFile, pack_folder: Path) -> dict[str, str]:
    """Host path -> "rw"/"ro": the pack folder, the env file's folder, local channels.
    Folders already inside the pack folder are reachable through it."""
    mounts = {str(pack_folder): "rw"}
    candidates = [Path(env.path).parent] if env.path else []
    candidates += _local_channel_folders(env)
    for folder in candidates:
        folder = folder.absolute()
        if folder.is_relative_to(pack_folder) or str(folder) in mounts:
            continue
        if not folder.is_dir():
            raise NotFound(
                f"channel folder {folder} not found", f"check the channels of {env.source}"
            )
        mounts[str(folder)] = "ro"
    return mounts


def _local_channel_folders(env: EnvFile) -> list[Path]:
    """Folders of the `file://` channels and channel paths that the environment file names."""
    folders = []
    for channel in env.channels:
        if channel.startswith("file://"):
            folders.append(Path(unquote(urlparse(channel).path)))
        elif "://" not in channel and channel.startswith((".", "/", "~")):
            path = Path(channel).expanduser()
            folders.append(path if path.is_absolute() else env.base_dir / path)
    return folders


def _json_documents(text: str) -> list[dict]:
    """The JSON objects printed one after another on a command's stdout."""
    decoder = json.JSONDecoder()
    documents, index = [], 0
    while True:
        start = text.find("{", index)
        if start < 0:
            return documents
        try:
            document, index = decoder.raw_decode(text, start)
        except ValueError:
            index = start + 1
            continue
        if isinstance(document, dict):
            documents.append(document)


if __name__ == "__main__":  # the entry point's earlier name, for images that still use it
    from .container_main import run_and_exit

    run_and_exit()
