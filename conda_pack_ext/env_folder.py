"""What `--overwrite` may replace: only a conda environment, never whatever else sits in
the pack folder under the same name.

A slug comes from a pack's manifest or an environment file, which anybody can write: a pack
whose slug is `Documents`, installed with --overwrite into a folder that holds the user's
`Documents/`, must not delete it. An env is a real folder (not a symlink to one elsewhere)
with `conda-meta/`, as conda itself recognises environments.
"""

from __future__ import annotations

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
