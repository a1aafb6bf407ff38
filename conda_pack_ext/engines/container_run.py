"""Talking to a Docker-API container engine (Docker, or Podman's `podman system service`):
finding and pinging it, checking the image, and running shell scripts in fresh containers
of it (ContainerRun), as the host user, with fixed mounts, streamed logs, secrets redacted
and a cancel that kills the container.

docker is imported inside the functions that use it: it stays out of the server's start-up.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import deque

from ..errors import BuildFailed, Cancelled, InvalidInput, NotFound, PackError
from ..progress import Progress
from ..settings import Settings

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
# Podman's Docker-API service sometimes keeps a followed log stream open after the container
# exited (seen on these machines): the stream is closed this long after the exit.
LOG_GRACE_SECONDS = 5.0
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
            f"no container engine answers at {url} ({first_line(error)})", START_SERVICE_HINT
        ) from None
    return client


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
            raise image_missing(self.image) from None
        except docker.errors.APIError as error:
            raise BuildFailed(
                f"the container engine refused to create a container from {self.image}: "
                f"{first_line(error)}",
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
                    f"image {self.image} has no /bin/sh: {first_line(error)}",
                    "use an image with a shell and conda or conda-pack-ext",
                ) from None
            raise BuildFailed(f"{what} failed: {first_line(error)}") from None
        finally:
            finished.set()
            _remove(container)
        if self.progress.cancelled:
            raise Cancelled()
        if status != 0:
            raise BuildFailed(
                f"{what} failed with exit status {status}",
                f"last lines of the container's log:\n{self._redact(chr(10).join(tail))}",
                exit_status=status,
            )
        return stdout

    def _lines(self, container):
        """The container's output (stdout and stderr) line by line, as it comes; the
        stream ends at the latest LOG_GRACE_SECONDS after the container exits."""
        stream = container.logs(stream=True, follow=True, stdout=True, stderr=True)
        closed = threading.Event()
        threading.Thread(
            target=_close_after_exit, args=(container, stream, closed), daemon=True
        ).start()
        pending = b""
        try:
            for chunk in stream:
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    yield self._redact(raw.decode("utf-8", "replace").rstrip("\r"))
        except Exception:
            if not closed.is_set():
                raise  # a failure of the engine, not our closing of a stream left open
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


def _close_after_exit(container, stream, closed: threading.Event) -> None:
    """Close a followed log stream LOG_GRACE_SECONDS after the container exited, so that a
    stream the engine leaves open cannot hang the build."""
    try:
        container.wait()
    except Exception:  # the container is gone already: the stream ends by itself
        return
    time.sleep(LOG_GRACE_SECONDS)
    closed.set()
    try:
        stream.close()
    except Exception:  # already closed
        pass


def container_run(client, image: str, mounts: dict[str, str], progress: Progress):
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


def require_image(client, image: str) -> None:
    import docker

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise image_missing(image) from None
    except docker.errors.APIError as error:
        raise EngineUnreachable(
            f"the container engine failed to look up image {image}: {first_line(error)}",
            START_SERVICE_HINT,
        ) from None


def image_missing(image: str) -> ImageMissing:
    hint = f"pull it (`podman pull {image}` or `docker pull {image}`) or build it"
    if image.split(":")[0] in (DEFAULT_IMAGE, "ml-job-gpu"):
        hint = "build ADS's image with `ads opctl build-image job-local`, or " + hint
    return ImageMissing(
        f"container image {image} not found in the container engine",
        hint + "; choose another with --image or the container_image setting",
    )


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


def first_line(error: Exception) -> str:
    text = str(getattr(error, "explanation", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
