"""YAML alias bombs: a few hundred bytes that expand to millions of strings once loaded,
as an environment file, as a pack's manifest and as a manifest on disk."""

from __future__ import annotations

import tarfile
from pathlib import Path

from tests.support.packs import _add_file


def alias_bomb(
    slug: str = "bomb_v1_0", levels: int = 6, bomb_slug: bool = False, variables: bool = True
) -> str:
    """An environment file with a manifest whose fields are aliases of aliases: each level
    repeats the one below nine times, so `levels` gives 9**levels strings (in the slug too
    with `bomb_slug`, in `variables` unless told not to)."""
    lines = ["name: bomb", "channels: [conda-forge]", "dependencies: [python]"]
    lines.append("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]")
    for level in range(1, levels):
        below = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{below}]")
    top = f"*l{levels - 1}"
    if variables:
        lines.append(f"variables: {{BOMB: {top}}}")
    slug = top if bomb_slug else slug
    lines.append(
        f"manifest: {{name: bomb, version: '1.0', slug: {slug}, python: {top}, description: {top}}}"
    )
    return "\n".join(lines) + "\n"


def bomb_pack(path: Path, slug: str, levels: int = 6) -> Path:
    """A small pack-shaped tarball whose manifest is an alias bomb."""
    with tarfile.open(path, "w:gz") as tar:
        _add_file(tar, f"{slug}_manifest.yaml", alias_bomb(slug, levels).encode())
        _add_file(tar, "conda-meta/history", b"")
        _add_file(tar, "bin/conda-unpack", b"print('nothing to relocate')\n", mode=0o755)
    return path
