"""Clean up after installs and uninstalls whose process died (kill -9, power loss), and
remove our kernelspecs whose env is gone.

Only in the pack folder asked for, and only what we made there: hidden folders with our
own staging names (`.<slug>.installing-<pid>-...`, `.<slug>.previous-<pid>-...`,
`.<slug>.removing-<pid>-...`) whose process no longer runs, and kernelspecs carrying our
metadata for an env of that folder that no longer exists. Listing never cleans up: it
reports these as data. Clean-up runs when asked (`conda-pack-ext clean`, the `clean` job),
at server start for the configured pack folder, and before an install into a folder.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from . import kernels
from .progress import Progress
from .settings import Settings

LEFTOVER = re.compile(r"^\.(?P<slug>.+)\.(?P<kind>installing|previous|removing)-(?P<pid>\d+)-")


def find_leftovers(folder: Path) -> list[dict]:
    """The hidden folders of dead installs and uninstalls in `folder`: {name, slug, action}
    where action is `restore` (a moved-aside env whose replacement never arrived: it is
    put back) or `delete`."""
    found = []
    for entry in sorted(folder.glob(".*-*")) if folder.is_dir() else []:
        match = LEFTOVER.match(entry.name)
        if not match or entry.is_symlink() or _process_alive(int(match["pid"])):
            continue
        restore = match["kind"] == "previous" and not os.path.lexists(folder / match["slug"])
        found.append(
            {
                "name": entry.name,
                "slug": match["slug"],
                "action": "restore" if restore else "delete",
            }
        )
    return found


def remove_leftovers(folder: Path) -> list[str]:
    """Handle what `find_leftovers` finds: put back or delete. Returns the names handled."""
    handled = []
    for leftover in find_leftovers(folder):
        entry = folder / leftover["name"]
        if leftover["action"] == "restore":
            entry.rename(folder / leftover["slug"])
        else:
            shutil.rmtree(entry, ignore_errors=True)
        handled.append(leftover["name"])
    return handled


def stale_kernels(folder: Path) -> list[str]:
    """Our kernelspecs for envs of `folder` that no longer exist."""
    folder = Path(folder).expanduser().absolute()
    return sorted(
        name
        for name, info in kernels.our_kernels().items()
        if Path(info["prefix"]).parent == folder and not Path(info["prefix"]).is_dir()
    )


def clean_pack_folder(settings: Settings, dry_run: bool = False) -> dict:
    """Remove (or with `dry_run`, only list) the leftovers and stale kernels of the pack
    folder; returns {conda_pack_folder, leftovers, stale_kernels, dry_run}."""
    folder = settings.pack_folder
    leftovers = find_leftovers(folder) if dry_run else remove_leftovers(folder)
    stale = stale_kernels(folder)
    if not dry_run:
        for name in stale:
            shutil.rmtree(kernels.kernels_dir() / name, ignore_errors=True)
    return {
        "conda_pack_folder": str(folder),
        "leftovers": [entry["name"] for entry in leftovers] if dry_run else leftovers,
        "stale_kernels": stale,
        "dry_run": dry_run,
    }


def clean_operation(params: dict, settings: Settings, progress: Progress) -> dict:
    """The `clean` operation: clean up the pack folder (see `clean_pack_folder`)."""
    result = clean_pack_folder(settings, dry_run=bool(params.get("dry_run")))
    verb = "would remove" if result["dry_run"] else "removed"
    for name in result["leftovers"]:
        progress.log(f"{verb} {Path(result['conda_pack_folder']) / name}")
    for name in result["stale_kernels"]:
        progress.log(f"{verb} the kernel {name} (its env is gone)")
    return result


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
