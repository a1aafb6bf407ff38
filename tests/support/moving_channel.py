"""A private copy of the local channel that moves on: tests add a newer version of a
package to it after an env was built, as conda-forge does over months. The shared cached
channel is never changed (its packages are hard-linked, its repodata copied)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.support.channel import (
    PYTHON_RUN_SPEC,
    SUBDIR,
    RecipePackage,
    _build_recipe,
    _index,
    _stage_prefix_package,
    _staged_recipe,
)


def copy_channel(channel: Path, target: Path) -> Path:
    """A copy of `channel` at `target` that can be re-indexed on its own."""

    def link_packages(source: str, destination: str) -> None:
        if source.endswith((".conda", ".tar.bz2")):
            os.link(source, destination)
        else:
            shutil.copy2(source, destination)

    shutil.copytree(channel, target, copy_function=link_packages)
    return target


def add_package_version(channel: Path, name: str, version: str, work: Path) -> Path:
    """Build `name` `version` (a prefix-writing test package) into `channel` and index it;
    returns the package file."""
    package = RecipePackage(name, version, "cpe_0", 0)
    stage = _stage_prefix_package(work / f"stage-{name}-{version}", package)
    recipe = _staged_recipe(name, version, "cpe_0", 0, stage, [PYTHON_RUN_SPEC])
    built = _build_recipe(recipe, work / f"recipe-{name}-{version}", work / "out")
    target = channel / SUBDIR / built.name
    shutil.move(built, target)
    target.chmod(0o644)
    _index(channel)
    return target
