"""Compare two packs the way the panel names them: an installed env by its slug, or a
published pack by its slug in the store. Unlike `diff` on the command line, nothing here
reads a path the caller chose: a REST client names packs, not files."""

from __future__ import annotations

from .contents import Contents, prefix_contents, read_contents
from .diff import diff_contents
from .envfile import validate_slug
from .errors import NotFound
from .settings import Settings


def compare_packs(
    settings: Settings, a: str, b: str, *, a_published: bool = False, b_published: bool = False
) -> dict:
    """The packages added, removed and changed from A to B (diff.diff_contents's answer),
    each an installed env's slug, or a published pack's slug when `*_published`."""
    return diff_contents(
        named_contents(settings, a, a_published), named_contents(settings, b, b_published)
    )


def named_contents(settings: Settings, slug: str, published: bool) -> Contents:
    """The contents of the published pack `slug`, or of the env `slug` of the pack folder."""
    if published:
        return read_contents(slug, settings, published=True)
    prefix = settings.pack_folder / validate_slug(slug)
    if not prefix.is_dir():
        raise NotFound(
            f"no environment {slug!r} in {settings.pack_folder}",
            "pick an installed environment (the Installed list shows them)",
        )
    return prefix_contents(prefix)
