"""Before an install goes live: does the pack suit this host?

Three checks, read from the extracted (not yet relocated) env:
- a GPU pack where no NVIDIA driver is loaded: a warning (it may still run on the CPU, and
  the Environment Explorer only warns too);
- a pack for another platform (its packages' `subdir`, e.g. linux-aarch64 on linux-64): its
  programs cannot run here, so the install is refused unless forced;
- a pack whose packages need a newer glibc (`__glibc >=X` in their recorded `depends`)
  than the host's: refused unless forced.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from pathlib import Path

from .errors import InvalidInput
from .progress import Progress

NVIDIA_DRIVER_FILE = Path("/proc/driver/nvidia/version")
GLIBC_REQUIREMENT = re.compile(r"^__glibc\s*>=\s*(?P<version>\d+(?:\.\d+)*)")
# conda's names for (sys.platform, machine)
MACHINES = {"x86_64": "64", "amd64": "64", "aarch64": "aarch64", "arm64": "arm64"}
MACHINES.update(ppc64le="ppc64le", s390x="s390x", i686="32")
PLATFORM_PREFIXES = {"linux": "linux", "darwin": "osx", "win32": "win"}


def host_subdir() -> str:
    """conda's name for this host's platform: linux-64, linux-aarch64, osx-arm64, ..."""
    machine = MACHINES.get(platform.machine().lower(), platform.machine().lower())
    return f"{PLATFORM_PREFIXES.get(sys.platform, sys.platform)}-{machine}"


def host_glibc() -> tuple[int, ...] | None:
    """The host's glibc version, or None on a system without glibc (musl, macOS)."""
    try:
        name, _, version = (os.confstr("CS_GNU_LIBC_VERSION") or "").partition(" ")
    except (ValueError, OSError):
        return None
    return _version(version) if name == "glibc" else None


def nvidia_driver_present() -> bool:
    return NVIDIA_DRIVER_FILE.exists()


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def pack_platform(prefix: Path) -> tuple[set[str], tuple[int, ...] | None]:
    """(the platforms of the env's packages besides noarch, the newest glibc they need),
    from conda-meta's package records."""
    subdirs: set[str] = set()
    glibc: tuple[int, ...] | None = None
    for record_path in sorted((prefix / "conda-meta").glob("*.json")):
        try:
            record = json.loads(record_path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(record, dict):
            continue
        subdir = record.get("subdir")
        if isinstance(subdir, str) and subdir and subdir != "noarch":
            subdirs.add(subdir)
        for depend in record.get("depends") or []:
            match = GLIBC_REQUIREMENT.match(str(depend))
            if match and (glibc is None or _version(match["version"]) > glibc):
                glibc = _version(match["version"])
    return subdirs, glibc


def check_pack(prefix: Path, manifest: dict, progress: Progress, force: bool = False) -> list:
    """Compare the extracted env at `prefix` with this host. Warns through `progress`;
    raises InvalidInput for a pack that would be broken here, unless `force`. Returns the
    problems found, each a sentence."""
    problems, fatal = [], []
    arch = str(manifest.get("arch_type") or "").upper()
    if arch == "GPU" and not nvidia_driver_present():
        problems.append("this is a GPU pack and no NVIDIA driver is loaded on this host")
    subdirs, needed_glibc = pack_platform(prefix)
    here = host_subdir()
    foreign = sorted(subdirs - {here})
    if foreign:
        fatal.append(f"the pack is built for {', '.join(foreign)}, and this host is {here}")
    glibc = host_glibc()
    if needed_glibc and glibc and needed_glibc > glibc:
        fatal.append(
            f"the pack needs glibc {'.'.join(map(str, needed_glibc))} or newer, and this "
            f"host has glibc {'.'.join(map(str, glibc))}"
        )
    if fatal and not force:
        raise InvalidInput(
            f"the pack does not suit this host: {'; '.join(fatal)}",
            "install a pack built for this host, or pass --force to install it anyway",
        )
    for problem in problems + fatal:
        progress.warn(problem)
    return problems + fatal
