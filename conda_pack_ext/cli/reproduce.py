"""`conda-pack-ext inspect`, `diff` and `sbom`: what is inside environments and packs.

(`create --from-lock` and `create --clone` are flags of `create`, in build.py.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..contents import read_contents
from ..diff import diff_contents
from ..manifest import write_text_atomically
from ..sbom import sbom_text
from .common import emit, finish_command, settings_from_args

SOURCE_HELP = (
    "a pack file, an installed env (slug or folder), a lock or environment file, or an oci:// URI"
)


def register(subparsers) -> None:
    inspect = subparsers.add_parser(
        "inspect",
        help="show the manifest and packages of a pack, env or published pack",
        description="Show what SOURCE holds without installing or extracting it: its "
        "manifest, conda packages and Python distributions, size, python, platform, and "
        "whether it carries a lock.",
    )
    inspect.add_argument("source", metavar="SOURCE", help=SOURCE_HELP)
    _add_published_flag(inspect)
    finish_command(inspect, run_inspect, store=True)

    diff = subparsers.add_parser(
        "diff",
        help="compare the packages of two envs, packs, locks or environment files",
        description="Show the packages added, removed and changed from A to B.",
    )
    diff.add_argument("a", metavar="A", help=SOURCE_HELP)
    diff.add_argument("b", metavar="B", help=SOURCE_HELP)
    finish_command(diff, run_diff, store=True)

    sbom = subparsers.add_parser(
        "sbom",
        help="write a CycloneDX 1.5 SBOM of a pack, env or published pack",
        description="Print (or write with -o) a CycloneDX 1.5 JSON SBOM of SOURCE.",
    )
    sbom.add_argument("source", metavar="SOURCE", help=SOURCE_HELP)
    sbom.add_argument("-o", "--output", metavar="FILE", help="write it here (default stdout)")
    _add_published_flag(sbom)
    finish_command(sbom, run_sbom, store=True)


def _add_published_flag(parser) -> None:
    parser.add_argument(
        "-s",
        "--slug",
        dest="published",
        action="store_true",
        help="SOURCE is the slug of a published pack (read from the store)",
    )


def run_inspect(args) -> None:
    contents = read_contents(args.source, settings_from_args(args), published=args.published)
    summary = contents.summary()
    emit(args, summary, _describe(summary))


def run_diff(args) -> None:
    settings = settings_from_args(args)
    result = diff_contents(read_contents(args.a, settings), read_contents(args.b, settings))
    emit(args, result, _describe_diff(result))


def run_sbom(args) -> None:
    contents = read_contents(args.source, settings_from_args(args), published=args.published)
    info = contents.manifest
    name = str(info.get("slug") or info.get("name") or Path(args.source).name)
    text = sbom_text(contents.lock(), name, str(info.get("version") or ""))
    if args.output:
        write_text_atomically(Path(args.output).absolute(), text)
        emit(args, {"output": str(Path(args.output).absolute())}, f"wrote {args.output}")
    else:
        sys.stdout.write(text)


def _describe(summary: dict) -> str:
    info = summary["manifest"]
    size = summary["size"]
    lines = [
        f"{summary['source']} ({summary['kind']})",
        f"  name {info.get('name', '')}  version {info.get('version', '')}  "
        f"slug {info.get('slug', '')}",
        f"  python {summary['python'] or '-'}  platform {summary['platform'] or '-'}  "
        f"size {f'{size / 1e6:.1f} MB' if size else '-'}  "
        f"lock {'yes' if summary['has_lock'] else 'no (read from conda-meta)'}",
        f"  {len(summary['packages'])} packages:",
    ]
    lines += [
        f"    {p['name']:<30} {p['version']:<16} {p['build']:<20} {p['kind']}"
        for p in summary["packages"]
    ]
    return "\n".join(lines)


def _describe_diff(result: dict) -> str:
    lines = [f"from {result['from']}", f"to   {result['to']}"]
    for row in result["added"]:
        lines.append(f"  + {row['name']} {row['version']} {row['build']} ({row['kind']})")
    for row in result["removed"]:
        lines.append(f"  - {row['name']} {row['version']} {row['build']} ({row['kind']})")
    for row in result["changed"]:
        lines.append(
            f"  ~ {row['name']} {row['from_version']} {row['from_build']} -> "
            f"{row['to_version']} {row['to_build']} ({row['kind']})"
        )
    if len(lines) == 2:
        lines.append("  no differences")
    return "\n".join(lines)
