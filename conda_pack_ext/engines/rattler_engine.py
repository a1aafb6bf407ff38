"""The embedded engine: py-rattler solves and links the environment, no conda needed.

rattler's API is async; each call runs in its own event loop (asyncio.run) in the calling
thread, watched for cancellation so that a cancel stops a solve or an install midway.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import rattler
from rattler import Channel, ChannelConfig, MatchSpec, VirtualPackage
from rattler.exceptions import SolverError
from rattler.install import InstallerReporter
from rattler.virtual_package import VirtualPackageOverrides

from ..envfile import EnvFile, spec_name
from ..errors import BuildFailed, Cancelled, InvalidInput
from ..process import run_process
from ..progress import Progress

DEFAULT_CHANNEL = "conda-forge"
CHANNEL_ALIAS = "https://conda.anaconda.org/"
# What conda means by `defaults` on Linux and macOS.
DEFAULTS_CHANNELS = ("https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r")


def build(env: EnvFile, prefix: Path, *, add_kernel: bool, gpu: bool, progress: Progress) -> dict:
    """Solve, download and link `env` into `prefix`, then run its `pip:` section.

    Returns {"engine", "kernel_added", "records"}: records maps package name to version.
    """
    channels = resolve_channels(env.channels, env.base_dir)
    specs = list(env.conda_specs)
    requested = {spec_name(s) for s in specs}
    if env.pip_requirements and "pip" not in requested:
        specs.append("pip")  # the pip section needs pip in the env, as conda adds it
    match_specs = [_match_spec(spec, env) for spec in specs]
    for match_spec in match_specs:
        channel = match_spec.channel
        if channel is not None and channel.base_url not in {c.base_url for c in channels}:
            channels.append(channel)  # `channel::pkg` needs that channel searched
    virtual_packages = _virtual_packages(gpu, progress)

    progress.phase("solving")
    records = _solve(channels, match_specs, virtual_packages, progress)
    names = {r.name.normalized for r in records}
    kernel_added = False
    if add_kernel and "python" in names and "ipykernel" not in names:
        try:
            with_kernel = match_specs + [MatchSpec("ipykernel")]
            records = _solve(channels, with_kernel, virtual_packages, progress)
            match_specs, kernel_added = with_kernel, True
        except BuildFailed as error:
            progress.warn(
                f"ipykernel could not be added, so the environment has no Jupyter kernel: "
                f"{error.message}"
            )
    progress.log(f"solved: {len(records)} packages")

    _install(records, prefix, match_specs, progress)
    if env.pip_requirements:
        if not (prefix / "bin" / "python").exists():
            raise InvalidInput(
                f"{env.source} has a pip section but no python among its dependencies",
                "add python to the dependencies",
            )
        install_pip_section(prefix, env, progress)
    return {
        "engine": "rattler",
        "kernel_added": kernel_added,
        "records": {r.name.normalized: str(r.version) for r in records},
    }


def resolve_channels(names: list[str], base_dir: Path) -> list:
    """rattler Channels for an environment file's `channels:` list: names go through the
    conda.anaconda.org alias, URLs stay, paths are relative to the file's folder;
    `defaults` means Anaconda's main and r channels, `nodefaults` is dropped."""
    config = ChannelConfig(channel_alias=CHANNEL_ALIAS, root_dir=str(base_dir))
    channels = []
    for name in names or [DEFAULT_CHANNEL]:
        if name == "nodefaults":
            continue
        if name == "defaults":
            channels.extend(Channel(url, config) for url in DEFAULTS_CHANNELS)
            continue
        if "://" not in name and _is_path(name):
            path = Path(name).expanduser()
            name = (path if path.is_absolute() else base_dir / path).absolute().as_uri()
        try:
            channels.append(Channel(name, config))
        except Exception as error:  # rattler raises its own error types
            raise InvalidInput(f"bad channel {name!r}: {error}") from None
    if not channels:
        channels.append(Channel(DEFAULT_CHANNEL, config))
    unique = {c.base_url: c for c in channels}
    return list(unique.values())


def _is_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or os.sep in name and Path(name).exists()


def _match_spec(spec: str, env: EnvFile):
    try:
        return MatchSpec(spec, strict=False)
    except Exception as error:
        raise InvalidInput(f"{env.source}: bad dependency {spec!r}: {error}") from None


def _virtual_packages(gpu: bool, progress: Progress) -> list:
    # CONDA_OVERRIDE_CUDA and friends are honoured, as conda does
    packages = VirtualPackage.detect(VirtualPackageOverrides.from_env())
    if gpu and not any("__cuda" in str(p.into_generic()) for p in packages):
        progress.log(
            "no CUDA driver detected: GPU packages may not solve here; "
            "set CONDA_OVERRIDE_CUDA=12.4 (your target's CUDA version) to build for GPUs"
        )
    return packages


def _solve(channels, specs, virtual_packages, progress: Progress):
    async def solve():
        return await rattler.solve(
            channels,
            specs,
            virtual_packages=virtual_packages,
            channel_priority=rattler.ChannelPriority.Strict,
        )

    try:
        return run_cancellable(solve, progress)
    except SolverError as error:
        raise BuildFailed(
            f"the environment cannot be solved: {_first_lines(error)}",
            "relax or fix the versions named above, or add the channel that has them",
        ) from None
    except (Cancelled, KeyboardInterrupt):
        raise
    except Exception as error:
        raise _rattler_failure("reading the channels", error, channels) from None


def _install(records, prefix: Path, specs, progress: Progress) -> None:
    total_bytes = sum(r.size or 0 for r in records)
    reporter = _Reporter(progress, total_bytes, len(records))
    progress.phase("downloading", total=total_bytes, unit="bytes")

    async def install():
        await rattler.install(
            records,
            target_prefix=str(prefix),
            # recorded in conda-meta as conda does; this rattler version takes its inner specs
            requested_specs=[getattr(spec, "_match_spec", spec) for spec in specs],
            reporter=reporter,
            show_progress=False,
        )

    try:
        run_cancellable(install, progress, settle=lambda: wait_until_still(prefix))
    except (Cancelled, KeyboardInterrupt):
        raise
    except Exception as error:
        raise _rattler_failure("installing packages", error) from None


def install_pip_section(prefix: Path, env: EnvFile, progress: Progress) -> None:
    """Run the `pip:` section with the env's own python; paths are relative to the file."""
    progress.phase("pip")
    with tempfile.TemporaryDirectory(prefix="conda-pack-ext-pip-") as folder:
        requirements = Path(folder) / "requirements.txt"
        requirements.write_text("\n".join(env.resolved_pip_lines()) + "\n", encoding="utf-8")
        command = [str(prefix / "bin" / "python"), "-m", "pip", "install", "--no-input"]
        command += ["--disable-pip-version-check", "-r", str(requirements)]
        run_process(
            command,
            progress,
            what="pip install",
            cwd=str(env.base_dir),
            env=env_python_environ(prefix),
        )


def env_python_environ(prefix: Path) -> dict:
    """Environment variables for running the env's python: nothing of ours leaks in."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "CONDA_PREFIX")
    }
    environ.update(
        PATH=f"{prefix / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONNOUSERSITE="1",
        PIP_REQUIRE_VIRTUALENV="0",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return environ


def run_cancellable(make_coroutine, progress: Progress, settle=None):
    """Run a rattler coroutine to its end in a fresh event loop, or cancel it as soon as
    progress.cancel_event is set. Cancelling (or a failure, such as a full disk) ends
    rattler's future, but file operations already handed to its worker threads still
    finish: `settle()` then waits for them, so that the caller's clean-up is the last word."""

    async def main():
        task = asyncio.ensure_future(make_coroutine())
        while not task.done():
            await asyncio.wait({task}, timeout=0.1)
            if progress.cancelled and not task.done():
                task.cancel()
                try:
                    await task
                except BaseException:
                    pass
                if settle:
                    settle()
                raise Cancelled()
        if task.exception() is not None and settle:
            settle()
        return task.result()

    return asyncio.run(main())


def wait_until_still(folder: Path, quiet: float = 0.5, limit: float = 60.0) -> None:
    """Wait until nothing is added to `folder` for `quiet` seconds (at most `limit`)."""
    deadline = time.monotonic() + limit
    last, still_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = sum(len(files) + len(dirs) for _, dirs, files in os.walk(folder))
        if count != last:
            last, still_since = count, time.monotonic()
        elif time.monotonic() - still_since >= quiet:
            return
        time.sleep(0.1)


class _Reporter(InstallerReporter):
    """Turns rattler's install callbacks into progress: bytes downloaded, then packages
    linked. rattler downloads and links in a pipeline; the phase switches to linking at
    the first link and stays there."""

    def __init__(self, progress: Progress, total_bytes: int, total_packages: int):
        self.progress = progress
        self.total_packages = total_packages
        self.downloaded: dict[int, int] = {}
        self.linking = False
        self.next_token = 0

    def _token(self) -> int:
        self.next_token += 1
        return self.next_token

    def on_transaction_start(self, total_operations: int) -> None:
        self.total_packages = total_operations or self.total_packages

    def on_download_start(self, cache_entry: int) -> int:
        return self._token()

    def on_download_progress(self, download_idx: int, progress: int, total) -> None:
        self.downloaded[download_idx] = progress
        if not self.linking:
            self.progress.update(sum(self.downloaded.values()))

    def on_link_start(self, operation: int, package_name: str) -> int:
        if not self.linking:
            self.linking = True
            self.progress.phase("linking", total=self.total_packages, unit="packages")
        return self._token()

    def on_link_complete(self, index: int) -> None:
        self.progress.advance(1)


def _rattler_failure(what: str, error: Exception, channels=()) -> BuildFailed:
    text = _first_lines(error)
    if "No space left" in text or "os error 28" in text:
        return BuildFailed(f"the disk is full while {what}", "free some space and try again")
    if channels:
        urls = ", ".join(c.base_url for c in channels)
        return BuildFailed(
            f"cannot read the channels ({urls}): {text}",
            "check the channel names and URLs, and that the machine can reach them",
        )
    return BuildFailed(f"{what} failed: {text}")


def _first_lines(error: Exception, limit: int = 25) -> str:
    lines = str(error).strip().splitlines()
    text = "\n".join(lines[:limit])
    return text + ("\n..." if len(lines) > limit else "")
