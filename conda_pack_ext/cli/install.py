"""`conda-pack-ext install`, `uninstall` and `list` (ADS's install flags)."""

from __future__ import annotations

import sys

from ..errors import InvalidInput
from ..local_envs import list_local
from .common import emit, finish_command, operation_params, run_cli_operation, settings_from_args


def register(subparsers) -> None:
    install = subparsers.add_parser(
        "install",
        help="install a pack into the pack folder and register its kernels",
        description="Install a pack from its URI (-u: oci://, a path or file://) or, by slug "
        "(-s), from the store.",
    )
    source = install.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "-u",
        "--conda-uri",
        metavar="URI",
        help="the pack: oci://bucket@namespace/path/slug, a path or a file:// URL",
    )
    source.add_argument("-s", "--slug", help="slug of a published pack")
    install.add_argument(
        "-o", "--overwrite", action="store_true", help="replace an installed env of that slug"
    )
    install.add_argument("--no-kernel", action="store_true", help="do not register a kernel")
    install.add_argument("--sha256", metavar="HEX", help="refuse the pack unless it has this hash")
    finish_command(install, run_install, store=True)

    uninstall = subparsers.add_parser("uninstall", help="remove an installed env and its kernels")
    uninstall.add_argument("-s", "--slug", required=True, help="slug of the installed env")
    finish_command(uninstall, run_uninstall)

    listing = subparsers.add_parser(
        "list",
        help="list installed envs (default) or published packs",
        description="List envs in the pack folder (--local, the default) or packs in the "
        "store (--published). Listing changes nothing; see `clean`.",
    )
    listing.add_argument("--local", action="store_true", help="envs in the pack folder")
    listing.add_argument("--published", action="store_true", help="packs in the store")
    listing.add_argument(
        "--rescan", action="store_true", help="rebuild the store's index (--published)"
    )
    finish_command(listing, run_list, store=True)

    clean = subparsers.add_parser(
        "clean",
        help="remove what dead installs left in the pack folder, and kernels of vanished envs",
        description="Remove the hidden folders that installs and uninstalls killed midway "
        "left in the pack folder (an env moved aside is put back), and our kernels whose env "
        "in that folder no longer exists. Nothing else is touched.",
    )
    clean.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    finish_command(clean, run_clean)


INSTALL_FLAGS = ("conda_uri", "slug", "overwrite", "no_kernel", "sha256", "service", "force")


def run_install(args) -> None:
    result = run_cli_operation("install", operation_params(args, INSTALL_FLAGS), args)
    kernels = ", ".join(result["kernels"]) or "none"
    emit(
        args,
        result,
        f"installed {result['slug']} at {result['prefix']} in {result['seconds']} s\n"
        f"kernels: {kernels}",
    )


def run_uninstall(args) -> None:
    result = run_cli_operation("uninstall", operation_params(args, ("slug",)), args)
    removed = ", ".join(result["kernels"]) or "none"
    emit(args, result, f"removed {result['prefix']}\nkernels removed: {removed}")


def run_clean(args) -> None:
    result = run_cli_operation("clean", operation_params(args, ("dry_run",)), args)
    verb = "would remove" if result["dry_run"] else "removed"
    emit(
        args,
        result,
        f"{result['conda_pack_folder']}: {verb} {len(result['leftovers'])} leftover "
        f"folder(s) and {len(result['stale_kernels'])} kernel(s) of vanished envs",
    )


def run_list(args) -> None:
    if args.local and args.published:
        raise InvalidInput("choose --local or --published, not both")
    if not args.published and (args.rescan or args.conda_pack_os_prefix):
        raise InvalidInput("--rescan and -p apply to --published only")
    settings = settings_from_args(args)
    warnings: list[str] = []
    if args.published:
        try:
            from ..publish import list_published
        except ImportError:
            raise InvalidInput(
                "listing published packs needs the stores support", "use `list --local`"
            ) from None
        entries = list_published(settings, rescan=args.rescan, warnings=warnings)
    else:
        entries = list_local(settings)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        answer = {"store_uri": settings.store_uri, "packs": entries, "warnings": warnings}
        emit(args, answer if args.published else entries, "")
        return
    if not entries:
        where = settings.store_uri if args.published else settings.pack_folder
        print(f"no environments in {where}")
        return
    print(_table(entries, local=not args.published))


def _table(entries: list[dict], local: bool) -> str:
    columns = ["slug", "name", "version", "python", "arch_type", "size_mb"]
    columns += ["kernels"] if local else ["pack_uri"]
    rows = [columns] + [[_cell(entry.get(c)) for c in columns] for entry in entries]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _cell(value) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "-"
    return "-" if value in (None, "") else str(value)
