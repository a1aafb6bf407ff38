"""Environment files and a tiny wheel for the create and pack tests."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import yaml

from conda_pack_ext.settings import Settings


def write_env_file(
    folder: Path,
    name: str,
    channels: list[str],
    dependencies: list,
    filename: str = "environment.yaml",
    **extra,
) -> Path:
    """Write an environment file (extra top-level keys: variables, manifest, ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    data = {"name": name, "channels": [str(c) for c in channels], "dependencies": dependencies}
    data.update(extra)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def settings_for(pack_folder: Path, config_dir: Path | None = None) -> Settings:
    """Settings with this pack folder and nothing read from the user's config.ini."""
    return Settings(
        conda_pack_folder=str(pack_folder), ads_config_dir=str(config_dir or pack_folder / ".ads")
    )


def build_wheel(folder: Path, name: str = "cpe_wheeltest", version: str = "0.1") -> Path:
    """A pure-Python wheel written by hand: `import <name>; <name>.VALUE == "from-wheel"`."""
    folder.mkdir(parents=True, exist_ok=True)
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": 'VALUE = "from-wheel"\n',
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


SLOW_BACKEND = """\
import time


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    time.sleep(600)
    raise RuntimeError("this package never builds")
"""


def write_slow_project(folder: Path) -> Path:
    """A Python project whose build backend sleeps: a `pip:` line naming it keeps a build
    in its pip phase long enough to cancel it there, deterministically."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "slow_backend.py").write_text(SLOW_BACKEND)
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "slow_backend"\nbackend-path = ["."]\n'
        '\n[project]\nname = "cpe-slow"\nversion = "0.1"\n'
    )
    return folder
