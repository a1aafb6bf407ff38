"""Rebuild a locked package set exactly, without solving: the embedded engine installs the
recorded packages, then pip installs the recorded distributions with `--no-deps`.

Each locked conda package is looked up by its file name in its channel's repodata (which
gives rattler the full record, dependencies included, and tells a package the channel no
longer holds from one it still does), checked against the lock's sha256 and md5, and
handed to rattler's installer, which verifies the download against them again. Newer
versions in the channels are never considered.
"""

from __future__ import annotations

import posixpath
import tempfile
from pathlib import Path

from rattler import Channel, ChannelConfig, Gateway, MatchSpec

from ..errors import BuildFailed, Cancelled
from ..lock import Lock, Package
from ..process import run_process
from ..progress import Progress
from .rattler_engine import CHANNEL_ALIAS, _install, env_python_environ, run_cancellable


def build_locked(lock: Lock, prefix: Path, *, progress: Progress) -> dict:
    """Install exactly the packages of `lock` into `prefix`; returns {"engine",
    "kernel_added", "records"} as the solving build does."""
    progress.phase("reading the locked packages")
    records = [_locked_record(package, found) for package, found in _lookup(lock, progress)]
    progress.log(f"locked: {len(records)} conda packages, {len(lock.pypi)} Python distributions")
    specs = [MatchSpec(f"{p.name} =={p.version} {p.build}") for p in lock.conda]
    _install(records, prefix, specs, progress)
    if lock.pypi:
        install_locked_pypi(prefix, lock.pypi, progress)
    return {
        "engine": "rattler",
        "kernel_added": False,
        "records": {r.name.normalized: str(r.version) for r in records},
    }


def _lookup(lock: Lock, progress: Progress) -> list[tuple[Package, object]]:
    """(package, its repodata record or None) for every locked conda package."""
    config = ChannelConfig(channel_alias=CHANNEL_ALIAS)
    by_channel: dict[str, list[Package]] = {}
    for package in lock.conda:
        by_channel.setdefault(package.channel, []).append(package)
    gateway = Gateway()
    found = []
    for channel_url, packages in by_channel.items():
        subdirs = sorted({p.subdir for p in packages} | {"noarch"})
        names = sorted({p.name for p in packages})

        async def query(channel_url=channel_url, subdirs=subdirs, names=names):
            channel = Channel(channel_url, config)
            return await gateway.query([channel], subdirs, names, recursive=False)

        try:
            result = run_cancellable(query, progress)
        except (Cancelled, KeyboardInterrupt):
            raise
        except Exception as error:
            first = packages[0]
            raise BuildFailed(
                f"cannot fetch the locked package {first.name} {first.version} {first.build} "
                f"({first.url}): its channel {channel_url} cannot be read: "
                f"{str(error).strip().splitlines()[0] if str(error).strip() else error}",
                "check that the channel is reachable (a mirror keeps old packages)",
            ) from None
        by_file = {r.file_name: r for records in result for r in records}
        found.extend((p, by_file.get(posixpath.basename(p.url))) for p in packages)
    return found


def _locked_record(package: Package, record):
    if record is None:
        raise BuildFailed(
            f"cannot fetch the locked package {package.name} {package.version} {package.build}: "
            f"{package.url} is not in its channel any more",
            "rebuild from a channel (or mirror) that still holds it, or use the environment "
            "file to solve again",
        )
    for name, expected in (("sha256", package.sha256), ("md5", package.md5)):
        actual = getattr(record, name, None)
        actual = actual.hex() if isinstance(actual, bytes) else str(actual or "")
        if expected and actual and actual != expected:
            raise BuildFailed(
                f"the locked package {package.name} {package.version} {package.build} "
                f"({package.url}) has changed in its channel: {name} {actual}, "
                f"the lock says {expected}",
                "the channel now serves different bytes under that name: do not trust it",
            )
    return record


def install_locked_pypi(prefix: Path, packages: list[Package], progress: Progress) -> None:
    """pip install the locked distributions, pinned, without their dependencies (the lock
    holds those too); with hashes when every one has a hash, as pip requires."""
    progress.phase("pip")
    hashed = all(p.sha256 for p in packages)
    lines = [
        (p.requirement or f"{p.name}=={p.version}")
        + (f" --hash=sha256:{p.sha256}" if hashed else "")
        for p in packages
    ]
    with tempfile.TemporaryDirectory(prefix="conda-pack-ext-pip-") as folder:
        requirements = Path(folder) / "requirements.txt"
        requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")
        command = [str(prefix / "bin" / "python"), "-m", "pip", "install", "--no-input"]
        command += ["--no-deps", "--disable-pip-version-check", "-r", str(requirements)]
        run_process(command, progress, what="pip install", env=env_python_environ(prefix))
