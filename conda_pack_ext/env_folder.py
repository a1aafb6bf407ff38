"""What `--overwrite` may replace: only a conda environment, never whatever else sits in
the pack folder under the same name.

A slug comes from a pack's manifest or an environment file, which anybody can write: a pack
whose slug is `Documents`, installed with --overwrite into a folder that holds the user's
`Documents/`, must not delete it. An env is a real folder (not a symlink to one elsewhere)
with `conda-meta/`, as conda itself recognises environments.

Also what an env folder tells about itself without a manifest (python version, CPU or GPU).
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import Conflict


def is_env(path: Path) -> bool:
    """Whether `path` is a folder holding a conda environment (and not a symlink)."""
    return not path.is_symlink() and path.is_dir() and (path / "conda-meta").is_dir()


def check_replaceable(path: Path) -> None:
    """Refuse to replace `path` unless it is missing or a conda environment."""
    if (path.exists() or path.is_symlink()) and not is_env(path):
        raise Conflict(
            f"{path} exists and is not a conda environment (no conda-meta/ folder): "
            "--overwrite replaces only environments",
            f"nothing was changed; move {path.name!r} away or use another --conda-pack-folder",
        )


def detect_python(prefix: Path) -> str:
    """The env's python version: X.Y.Z from conda-meta (as `create` records it), else X.Y
    from lib/pythonX.Y; "" if it has none."""
    for record in sorted((prefix / "conda-meta").glob("python-[0-9]*.json")):
        try:
            version = json.loads(record.read_text()).get("version", "")
        except (OSError, ValueError):
            continue
        return str(version)
    for lib in sorted(prefix.glob("lib/python[0-9].*")):
        return lib.name[len("python") :]
    return ""


def detect_arch(prefix: Path) -> str:
    """GPU when the env holds CUDA runtime packages, else CPU."""
    gpu = ("cudatoolkit-", "cuda-runtime-", "cuda-cudart-", "pytorch-cuda-")
    names = [p.name for p in (prefix / "conda-meta").glob("*.json")]
    return "GPU" if any(name.startswith(gpu) for name in names) else "CPU"
