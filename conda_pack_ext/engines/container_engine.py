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
- `conda-pack-ext` installed: its embedded engine and its pack writer, through this module's
  `main()` (`python -m conda_pack_ext.engines.container_engine`), which prints the result as
  JSON;
- `conda` only (like ADS's `ml-job` image): `conda env create --prefix ...`, then
  `python -m conda_pack.cli` with ADS's settings (compress level 7, all threads, missing files
  ignored);
- neither: a clear error naming what the image lacks.

Two environment variables steer where and as whom the container runs (for sandboxes and
tests): CONDA_PACK_EXT_CONTAINER_NETWORK (a network mode such as "none" or "host") and
CONDA_PACK_EXT_CONTAINER_USER ("uid:gid").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
import threading
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml

from ..envfile import EnvFile, parse_env_text
from ..errors import BuildFailed, Cancelled, InvalidInput, NotFound, PackError, os_failure
from ..progress import Progress
from ..settings import Settings

# ADS builds conda packs in this image (`ads opctl build-image job-local` makes it).
DEFAULT_IMAGE = "ml-job"
# Where Podman's and Docker's services usually listen, tried when nothing is configured.
DEFAULT_SOCKETS = (
    "/tmp/podman.sock",
    f"/run/user/{os.getuid()}/podman/podman.sock",
    "/run/podman/podman.sock",
    "/var/run/docker.sock",
)
START_SERVICE_HINT = (
    "start Podman's Docker-API service: "
    "`podman system service --time=0 unix:///tmp/podman.sock &` "
    "(here: `make podman-service`), then set docker_host = unix:///tmp/podman.sock in "
    "~/.ads_ops/config.ini, pass --docker-host, or export DOCKER_HOST"
)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
NETWORK_VARIABLE = "CONDA_PACK_EXT_CONTAINER_NETWORK"
USER_VARIABLE = "CONDA_PACK_EXT_CONTAINER_USER"
# The environment file travels in this variable: no temporary file to mount.
ENVIRONMENT_VARIABLE = "CONDA_PACK_EXT_ENVIRONMENT"
# The container's home and scratch space: its own /tmp, which every image has and which is
# thrown away with the container (caches included).
CONTAINER_HOME = "/tmp"
TAIL_LINES = 40
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
# Prints the best builder the image has: "conda-pack-ext <its interpreter>", "conda", "none".
PROBE_SCRIPT = """\
if launcher=$(command -v conda-pack-ext); then
  read -r first < "$launcher"
  case "$first" in
    "#!"*) echo "conda-pack-ext ${first#??}" ;;
    *) echo "conda-pack-ext python3" ;;
  esac
elif command -v conda >/dev/null 2>&1; then echo conda
else echo none
fi"""


class EngineUnreachable(PackError):
    """No Docker-API engine answers at the address in effect."""

    code = "container_engine_unreachable"
    status = 503


class ImageMissing(NotFound):
    """The engine does not have the image."""

    code = "container_image_missing"


class ImageUnusable(InvalidInput):
    """The image has neither conda-pack-ext nor conda (or no /bin/sh to look for them)."""

    code = "container_image_unusable"


def docker_host(settings: Settings) -> str:
    """The engine address in effect: the setting, else DOCKER_HOST, else the first socket
    of DEFAULT_SOCKETS that exists (the first one when none does)."""
    if settings.docker_host:
        return settings.docker_host
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    for socket in DEFAULT_SOCKETS:
        if os.path.exists(socket):
            return f"unix://{socket}"
    return f"unix://{DEFAULT_SOCKETS[0]}"


def connect(settings: Settings):
    """A docker.DockerClient that answered a ping; EngineUnreachable otherwise."""
    import docker

    url = docker_host(settings)
    try:
        if not settings.docker_host and os.environ.get("DOCKER_HOST"):
            client = docker.from_env()  # honours DOCKER_TLS_VERIFY and DOCKER_CERT_PATH too
        else:
            client = docker.DockerClient(base_url=url)
        client.ping()
    except Exception as error:
        raise EngineUnreachable(
            f"no container engine answers at {url} ({_first_line(error)})", START_SERVICE_HINT
        ) from None
    return client


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
    _require_image(client, image)
    run = _container_run(client, image, _mounts(env, prefix.parent), progress)
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
    run = _container_run(
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
        sha256, size = packing.file_sha256(temporary), temporary.stat().st_size
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
    return {
        "pack_path": str(output),
        "sha256": sha256,
        "size": size,
        "size_mb": round(size / 2**20, 2),
        "compress_level": level,
    }


# ---- what runs inside --------------------------------------------------------------------


def _build_with_conda_pack_ext(run, interpreter, env: EnvFile, prefix, add_kernel, gpu) -> dict:
    """The image's conda-pack-ext builds with its embedded engine (this module's main)."""
    command = [*shlex.split(interpreter), "-m", __name__, "--prefix", str(prefix)]
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
    command = [*shlex.split(interpreter), "-m", __name__, "--prefix", str(prefix)]
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


# ---- the container -----------------------------------------------------------------------


class ContainerRun:
    """Runs shell scripts in fresh containers of one image, with fixed mounts, user and
    network; streams their output to the progress log; a cancel kills the container."""

    def __init__(self, client, image, *, mounts, user, network_mode, progress: Progress):
        self.client = client
        self.image = image
        self.mounts = mounts
        self.user = user
        self.network_mode = network_mode
        self.progress = progress
        self.environment = _container_environment()
        self._secrets = _proxy_credentials(self.environment)

    def phase(self, name: str) -> None:
        self.progress.phase(name)

    def probe(self) -> tuple[str, str]:
        """The best builder the image has ("conda-pack-ext", "conda" or "none") and, for
        conda-pack-ext, the interpreter it runs with."""
        stdout = self.script(PROBE_SCRIPT, what=f"looking for conda in {self.image}", quiet=True)
        lines = stdout.strip().splitlines()
        builder, _, interpreter = (lines[-1] if lines else "none").partition(" ")
        return builder, interpreter.strip()

    def script(
        self, script: str, *, what: str, quiet: bool = False, environment: dict | None = None
    ) -> str:
        """Run `sh -c script`; return its stdout. A non-zero exit raises BuildFailed with
        the exit status and the log's tail; a cancel raises Cancelled."""
        import docker

        self.progress.check_cancelled()
        try:
            container = self.client.containers.create(
                self.image,
                entrypoint=["/bin/sh", "-c"],  # images like ml-job have their own entrypoint
                command=[script],
                user=self.user,
                environment={**self.environment, **(environment or {})},
                volumes={path: {"bind": path, "mode": mode} for path, mode in self.mounts.items()},
                network_mode=self.network_mode,
                working_dir=CONTAINER_HOME,
                labels={"conda-pack-ext": "build"},
                detach=True,
            )
        except docker.errors.ImageNotFound:
            raise _image_missing(self.image) from None
        except docker.errors.APIError as error:
            raise BuildFailed(
                f"the container engine refused to create a container from {self.image}: "
                f"{_first_line(error)}",
                "check that the image has /bin/sh and that the mounted folders exist",
            ) from None
        tail: deque[str] = deque(maxlen=TAIL_LINES)
        finished = threading.Event()
        watcher = threading.Thread(
            target=self._kill_on_cancel, args=(container, finished), daemon=True
        )
        try:
            container.start()
            watcher.start()
            for line in self._lines(container):
                tail.append(line)
                if not quiet:
                    self.progress.log(line)
            status = container.wait().get("StatusCode", -1)
            stdout = container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
        except docker.errors.APIError as error:
            if self.progress.cancelled:
                raise Cancelled() from None
            if "executable file" in str(error) or "no such file" in str(error).lower():
                raise ImageUnusable(
                    f"image {self.image} has no /bin/sh: {_first_line(error)}",
                    "use an image with a shell and conda or conda-pack-ext",
                ) from None
            raise BuildFailed(f"{what} failed: {_first_line(error)}") from None
        finally:
            finished.set()
            _remove(container)
        if self.progress.cancelled:
            raise Cancelled()
        if status != 0:
            raise BuildFailed(
                f"{what} failed with exit status {status}",
                f"last lines of the container's log:\n{self._redact(chr(10).join(tail))}",
            )
        return stdout

    def _lines(self, container):
        """The container's output (stdout and stderr) line by line, as it comes."""
        pending = b""
        for chunk in container.logs(stream=True, follow=True, stdout=True, stderr=True):
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                yield self._redact(raw.decode("utf-8", "replace").rstrip("\r"))
        if pending:
            yield self._redact(pending.decode("utf-8", "replace"))

    def _kill_on_cancel(self, container, finished: threading.Event) -> None:
        while not finished.is_set():
            if self.progress.cancel_event.wait(0.2):
                try:
                    container.kill()
                except Exception:  # already stopped: nothing left to kill
                    pass
                return

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _container_run(client, image: str, mounts: dict[str, str], progress: Progress):
    """A ContainerRun as the host user (or $CONDA_PACK_EXT_CONTAINER_USER), on the network
    that $CONDA_PACK_EXT_CONTAINER_NETWORK names (the engine's default otherwise)."""
    return ContainerRun(
        client,
        image,
        mounts=mounts,
        user=os.environ.get(USER_VARIABLE) or f"{os.getuid()}:{os.getgid()}",
        network_mode=os.environ.get(NETWORK_VARIABLE) or None,
        progress=progress,
    )


def _remove(container) -> None:
    try:
        container.remove(force=True)
    except Exception:  # already gone (engine restarted, or removed by someone else)
        pass


def _require_image(client, image: str) -> None:
    import docker

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise _image_missing(image) from None
    except docker.errors.APIError as error:
        raise EngineUnreachable(
            f"the container engine failed to look up image {image}: {_first_line(error)}",
            START_SERVICE_HINT,
        ) from None


def _image_missing(image: str) -> ImageMissing:
    hint = f"pull it (`podman pull {image}` or `docker pull {image}`) or build it"
    if image.split(":")[0] in (DEFAULT_IMAGE, "ml-job-gpu"):
        hint = "build ADS's image with `ads opctl build-image job-local`, or " + hint
    return ImageMissing(
        f"container image {image} not found in the container engine",
        hint + "; choose another with --image or the container_image setting",
    )


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


def _container_environment() -> dict[str, str]:
    """HOME in the container's scratch space, no user config, and the host's proxies."""
    environment = {
        "HOME": CONTAINER_HOME,
        "ADS_OPS_CONFIG_DIR": f"{CONTAINER_HOME}/.ads_ops",
        "CONDA_PKGS_DIRS": f"{CONTAINER_HOME}/conda-pkgs",
    }
    for variable in PROXY_VARIABLES:
        if os.environ.get(variable):
            environment[variable] = os.environ[variable]
    return environment


def _proxy_credentials(environment: dict[str, str]) -> list[str]:
    """The user:password parts of proxy URLs, which must never reach a log."""
    secrets = []
    for variable in PROXY_VARIABLES:
        match = re.match(r"^[a-z][a-z0-9+.-]*://([^/@]+)@", environment.get(variable, ""), re.I)
        if match:
            secrets.append(match.group(1))
    return secrets


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


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "explanation", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# ---- inside the container ----------------------------------------------------------------


class _StreamProgress(Progress):
    """Progress inside the container: phases and log lines on stderr, which the host
    streams into the job's log; stdout is kept for the JSON result."""

    def phase(self, name: str, total: float | None = None, unit: str = "") -> None:
        super().phase(name, total, unit)
        self.log(f"{name}...")

    def log(self, line: str) -> None:
        print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Build the environment given in $CONDA_PACK_EXT_ENVIRONMENT at --prefix with the
    embedded engine; print {"kernel_added", "records"} as JSON on stdout. With --pack-to,
    pack the env at --prefix into that file instead; print {"sha256", "size"}."""
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}")
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--base-dir", help="folder of the environment file (to build)")
    parser.add_argument("--source", default="", help="the environment file's path, for errors")
    parser.add_argument("--add-kernel", action="store_true")
    parser.add_argument("--gpu", action="store_true")
    parser.add_argument("--pack-to", help="pack the env at --prefix into this file")
    parser.add_argument("--compress-level", type=int, default=None)
    args = parser.parse_args(argv)
    if args.pack_to:
        return _pack_main(args)
    if not args.base_dir:
        parser.error("--base-dir is required to build")
    from . import rattler_engine

    try:
        env = parse_env_text(
            os.environ.get(ENVIRONMENT_VARIABLE, ""),
            args.base_dir,
            path=Path(args.source) if args.source else None,
        )
        result = rattler_engine.build(
            env,
            Path(args.prefix),
            add_kernel=args.add_kernel,
            gpu=args.gpu,
            progress=_StreamProgress(),
        )
    except PackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    json.dump({"kernel_added": result["kernel_added"], "records": result["records"]}, sys.stdout)
    sys.stdout.write("\n")
    return 0


def _pack_main(args) -> int:
    """Write the pack without the slug's lock: the host that started this container holds it."""
    from .. import pack as packing

    level = packing.DEFAULT_COMPRESS_LEVEL if args.compress_level is None else args.compress_level
    try:
        sha256, size = packing.write_pack_file(
            Path(args.prefix), Path(args.pack_to), compress_level=level, progress=_StreamProgress()
        )
    except PackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    json.dump({"sha256": sha256, "size": size}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: rattler's runtime threads can crash it after the work is
    # done and reported, which would turn a good build into a failed exit status.
    os._exit(status)
