"""The lock of an environment: its exact package set, in conda's explicit format.

Every pack carries `<slug>.explicit.txt` at its root (and `pack` writes it beside the pack
file; `publish` puts it beside the pack object), so that the pack can be inspected without
being downloaded and rebuilt exactly after its channels have moved on.

The format is conda's `@EXPLICIT` list, which conda (`conda create --file`), mamba,
micromamba and rattler accept as it is: one package URL per line with its md5 as the
fragment. What the format has no field for travels in comment lines, which those tools skip:

    # platform: linux-64
    @EXPLICIT
    # sha256: <sha256 of the next package>
    file:///channel/linux-64/cpe-testlib-1.0-cpe_0.conda#<md5>
    # pypi: cpe-wheeltest==0.1
    # pypi: other @ file:///wheels/other-1.0-py3-none-any.whl --hash=sha256:<sha256>

Locks are untrusted input (they come inside packs and from users): `parse_lock` reads at
most MAX_LOCK_BYTES and names the file and line of anything it does not understand.
"""

from __future__ import annotations

import hashlib
import platform as host_platform
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .errors import InvalidInput

LOCK_SUFFIX = ".explicit.txt"
EXPLICIT_MARKER = "@EXPLICIT"
MAX_LOCK_BYTES = 16 << 20
CONDA, PYPI = "conda", "pypi"
PACKAGE_EXTENSIONS = (".conda", ".tar.bz2")
# `<channel>/<subdir>/<name>-<version>-<build>.<ext>`: names may hold dashes, versions and
# builds may not
PACKAGE_URL = re.compile(
    r"^(?P<channel>.+)/(?P<subdir>[^/]+)/(?P<name>[^/]+)-(?P<version>[^-/]+)-(?P<build>[^-/]+)"
    r"(?P<ext>\.conda|\.tar\.bz2)$"
)
HEX = re.compile(r"^[0-9a-f]+$")


@dataclass
class Package:
    """One package of an environment: a conda package or a Python distribution."""

    name: str
    version: str
    kind: str = CONDA
    build: str = ""
    channel: str = ""
    subdir: str = ""
    url: str = ""
    sha256: str = ""
    md5: str = ""
    license: str = ""
    # pypi only: what pip installs it from (`name==version` or `name @ URL`)
    requirement: str = ""

    def row(self) -> dict:
        """The JSON row shown by inspect and used by diff."""
        return {"name": self.name, "version": self.version, "build": self.build, "kind": self.kind}


@dataclass
class Lock:
    """An environment's exact package set and the platform it is for."""

    platform: str
    conda: list[Package] = field(default_factory=list)
    pypi: list[Package] = field(default_factory=list)

    @property
    def packages(self) -> list[Package]:
        return [*self.conda, *self.pypi]

    def summary(self, text: str | None = None, file: str = "") -> dict:
        """What the manifest and the store's index say about the lock (in `file`): plain
        `lock_*` fields, since manifest fields are plain values (manifest.py)."""
        text = render_lock(self) if text is None else text
        return {
            "lock_file": file,
            "lock_platform": self.platform,
            "lock_conda": len(self.conda),
            "lock_pypi": len(self.pypi),
            "lock_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        }


def host_subdir() -> str:
    """conda's name for this machine's platform (linux-64, osx-arm64, ...)."""
    system = {"linux": "linux", "darwin": "osx", "win32": "win"}.get(sys.platform, sys.platform)
    machine = host_platform.machine().lower()
    arch = {"x86_64": "64", "amd64": "64", "arm64": "arm64", "aarch64": "aarch64"}.get(machine)
    if system == "osx" and machine == "aarch64":
        arch = "arm64"
    return f"{system}-{arch or machine}"


def conda_package(record: dict) -> Package:
    """A Package from a conda-meta record (or a repodata record with its url)."""
    url = str(record.get("url") or "")
    channel = str(record.get("channel") or "")
    subdir = str(record.get("subdir") or "")
    match = PACKAGE_URL.match(url)
    if match:
        channel = channel or match["channel"]
        subdir = subdir or match["subdir"]
    return Package(
        name=str(record.get("name") or ""),
        version=str(record.get("version") or ""),
        build=str(record.get("build") or record.get("build_string") or ""),
        channel=channel,
        subdir=subdir,
        url=url,
        sha256=str(record.get("sha256") or ""),
        md5=str(record.get("md5") or ""),
        license=str(record.get("license") or ""),
    )


def render_lock(lock: Lock, title: str = "") -> str:
    """The lock as conda's explicit file, with our comments."""
    lines = [
        f"# {title or 'environment'}: exact package set, written by conda-pack-ext {__version__}",
        "# conda create -n ENV --file THIS, micromamba create -n ENV -f THIS,",
        "# or conda-pack-ext create --from-lock THIS -n NAME (also rebuilds the pypi lines)",
        f"# platform: {lock.platform}",
        EXPLICIT_MARKER,
    ]
    for package in sorted(lock.conda, key=lambda p: p.name):
        if package.sha256:
            lines.append(f"# sha256: {package.sha256}")
        lines.append(f"{package.url}#{package.md5}" if package.md5 else package.url)
    for package in sorted(lock.pypi, key=lambda p: p.name):
        line = package.requirement or f"{package.name}=={package.version}"
        if package.sha256:
            line += f" --hash=sha256:{package.sha256}"
        lines.append(f"# pypi: {line}")
    return "\n".join(lines) + "\n"


def read_lock_file(path: str | Path) -> tuple[Lock, str]:
    """(lock, text) of a lock file on disk, with its size bounded."""
    path = Path(path)
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_LOCK_BYTES + 1)
    except OSError as error:
        raise InvalidInput(f"cannot read the lock file {path}: {error.strerror}") from None
    text = decode_lock(data, str(path))
    return parse_lock(text, str(path)), text


def decode_lock(data: bytes, where: str) -> str:
    """The text of a lock read as bytes: at most MAX_LOCK_BYTES of UTF-8."""
    if len(data) > MAX_LOCK_BYTES:
        raise InvalidInput(
            f"{where} is larger than {MAX_LOCK_BYTES >> 20} MB: not a lock",
            "give a conda explicit file (conda list --explicit) or a lock from a pack",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"{where} is not a text file (byte {error.start} is not UTF-8)"
        ) from None


def parse_lock(text: str, where: str = "the lock") -> Lock:
    """Read a conda explicit file (ours or conda's); raises InvalidInput naming the line."""
    platform, sha256, seen_marker = "", "", False
    lock = Lock(platform="")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comment = line[1:].strip()
            key, _, value = comment.partition(":")
            if key == "platform":
                platform = value.strip()
            elif key == "sha256" and seen_marker:
                sha256 = _checked_hex(value.strip(), 64, where, number)
            elif key == "pypi" and seen_marker:
                lock.pypi.append(_pypi_line(value.strip(), where, number))
            continue
        if line == EXPLICIT_MARKER:
            seen_marker = True
            continue
        if not seen_marker:
            raise InvalidInput(
                f"{where}, line {number}: {_short(line)!r} comes before {EXPLICIT_MARKER}",
                "a lock is conda's explicit format: `# platform: ...`, `@EXPLICIT`, then URLs",
            )
        lock.conda.append(_conda_line(line, sha256, where, number))
        sha256 = ""
    if not seen_marker:
        raise InvalidInput(
            f"{where} has no {EXPLICIT_MARKER} line: it is not a conda explicit file",
            "make one with `conda list --explicit --md5` or take the lock from a pack",
        )
    lock.platform = platform or _platform_from(lock.conda) or ""
    return lock


def check_platform(lock: Lock, where: str, target: str | None = None) -> None:
    """Refuse a lock made for another platform than `target` (default this machine's)."""
    target = target or host_subdir()
    if lock.platform and lock.platform not in (target, "noarch"):
        raise InvalidInput(
            f"{where} is for {lock.platform}, and this machine is {target}",
            f"rebuild it on a {lock.platform} machine, or use the environment file instead",
        )


def _conda_line(line: str, sha256: str, where: str, number: int) -> Package:
    url, _, fragment = line.partition("#")
    match = PACKAGE_URL.match(url)
    if not match or "://" not in url:
        raise InvalidInput(
            f"{where}, line {number}: {_short(line)!r} is not a conda package URL",
            "each line after @EXPLICIT is <channel>/<subdir>/<name>-<version>-<build>.conda",
        )
    md5 = ""
    if fragment.startswith("sha256:"):
        sha256 = _checked_hex(fragment[len("sha256:") :], 64, where, number)
    elif fragment:
        md5 = _checked_hex(fragment.removeprefix("md5:"), 32, where, number)
    return Package(
        name=match["name"],
        version=match["version"],
        build=match["build"],
        channel=match["channel"],
        subdir=match["subdir"],
        url=url,
        sha256=sha256,
        md5=md5,
    )


def _pypi_line(value: str, where: str, number: int) -> Package:
    requirement, _, hash_part = value.partition(" --hash=")
    requirement = requirement.strip()
    name, sep, version = requirement.partition("==")
    if not sep:
        name, sep, url = requirement.partition(" @ ")
        version = _wheel_version(url) if sep else ""
    if not name.strip() or not version.strip() or any(c.isspace() for c in version.strip()):
        raise InvalidInput(
            f"{where}, line {number}: bad pypi line {_short(value)!r}",
            "write `# pypi: NAME==VERSION` or `# pypi: NAME @ URL-of-a-wheel`",
        )
    sha256 = ""
    if hash_part:
        sha256 = _checked_hex(hash_part.strip().removeprefix("sha256:"), 64, where, number)
    return Package(
        name=name.strip(),
        version=version.strip(),
        kind=PYPI,
        sha256=sha256,
        requirement=requirement,
    )


def _wheel_version(url: str) -> str:
    filename = url.rsplit("/", 1)[-1]
    parts = filename.split("-")
    return parts[1] if filename.endswith(".whl") and len(parts) >= 3 else ""


def _checked_hex(value: str, length: int, where: str, number: int) -> str:
    value = value.strip().lower()
    if len(value) != length or not HEX.match(value):
        raise InvalidInput(f"{where}, line {number}: {_short(value)!r} is not a valid checksum")
    return value


def _platform_from(packages: list[Package]) -> str:
    subdirs = {p.subdir for p in packages if p.subdir != "noarch"}
    return subdirs.pop() if len(subdirs) == 1 else ""


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
