"""How each command shows its operation's answer: JSON on stdout with --json, else lines
for a person. One function per verb of the operations table (SHOW)."""

from __future__ import annotations

import sys

import yaml

from ..settings import CONFIG_KEYS
from .common import emit


def show_create(args, result: dict) -> None:
    keys = ("slug", "prefix", "manifest", "name", "version")
    pack = result.get("pack_path")
    emit(
        args,
        {key: result[key] for key in keys},
        f"created {result['slug']} at {result['prefix']} in {result['seconds']} s\n"
        + (
            f"packed into {pack}"
            if pack
            else f"pack it with: conda-pack-ext pack -s {result['slug']}"
        ),
    )


def show_pack(args, result: dict) -> None:
    emit(
        args,
        {key: result[key] for key in ("slug", "pack_path", "sha256", "size")},
        f"packed {result['slug']} into {result['pack_path']} "
        f"({result['size_mb']} MB, sha256 {result['sha256']}) in {result['seconds']} s",
    )


def show_install(args, result: dict) -> None:
    kernels = ", ".join(result["kernels"]) or "none"
    emit(
        args,
        result,
        f"installed {result['slug']} at {result['prefix']} in {result['seconds']} s\n"
        f"kernels: {kernels}",
    )


def show_uninstall(args, result: dict) -> None:
    removed = ", ".join(result["kernels"]) or "none"
    emit(args, result, f"removed {result['prefix']}\nkernels removed: {removed}")


def show_publish(args, result: dict) -> None:
    if "source" in result:  # a service pack copied as it is
        emit(args, result, f"copied {result['source']}\n  to {result['uri']}")
        return
    emit(
        args,
        {key: result[key] for key in ("slug", "uri", "sha256", "size")},
        f"published {result['slug']} to {result['uri']}\n"
        f"  {result['size'] / 1e6:.1f} MB, sha256 {result['sha256']}",
    )


def show_unpublish(args, result: dict) -> None:
    emit(args, result, "removed " + ", ".join(result["removed"]))


def show_clean(args, result: dict) -> None:
    verb = "would remove" if result["dry_run"] else "removed"
    emit(
        args,
        result,
        f"{result['conda_pack_folder']}: {verb} {len(result['leftovers'])} leftover "
        f"folder(s) and {len(result['stale_kernels'])} kernel(s) of vanished envs",
    )


def show_list(args, result: dict) -> None:
    source, entries = result["source"], result["entries"]
    if getattr(args, "json", False):
        # installed envs and service packs as a list; published packs with their store
        answer = entries
        if source == "published":
            answer = {key: result[key] for key in ("store_uri", "warnings")}
            answer["packs"] = entries
        emit(args, answer, "")
        return
    for warning in result["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    if not entries:
        label = "service packs" if source == "service" else "environments"
        print(f"no {label} in {result['where']}")
        return
    print(table(entries, local=source == "local"))


def table(entries: list[dict], local: bool) -> str:
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


def show_status(args, info: dict) -> None:
    builders = ", ".join(
        b["name"] + (f" ({b['path']})" if b.get("path") else "") for b in info["builders"]
    )
    emit(
        args,
        info,
        f"conda-pack-ext {info['version']}\n"
        f"builders:    {builders}\n"
        f"pack folder: {info['conda_pack_folder']}\n"
        f"store:       {info['store_uri']}\n"
        f"auth:        {info['auth']}\n"
        f"config:      {info['config_path']}",
    )


def show_configure(args, result: dict) -> None:
    public = result["settings"]
    if result["written"] and not getattr(args, "json", False):
        print(f"wrote {', '.join(result['written'])} to {result['config_path']}")
        return
    lines = [f"{name}: {public[name]}" for name in CONFIG_KEYS if name in public]
    emit(args, public, "\n".join(lines + [f"config file: {public['config_path']}"]))


def show_usage(args, result: dict) -> None:
    lines = [f"# {result['target']}: {result['pack']['uri'] or result['pack']['slug']}"]
    if "env" in result:
        lines += ["# environment variables"] + [f"{k}={v}" for k, v in result["env"].items()]
    if "runtime_yaml" in result:
        lines += ["# runtime.yaml", yaml.safe_dump(result["runtime_yaml"], sort_keys=False)]
    if "spark_conf" in result:
        lines += ["# Spark configuration"] + [f"{k} = {v}" for k, v in result["spark_conf"].items()]
    if "ads_python" in result:
        lines += ["# with ADS", result["ads_python"]]
    policy = result["policy"]
    lines += ["# IAM: dynamic group matching rule", policy["dynamic_group_rule"]]
    lines += ["# IAM: policy"] + (policy["statements"] or [policy.get("note", "")])
    emit(args, result, "\n".join(lines))


def show_inspect(args, summary: dict) -> None:
    info, size = summary["manifest"], summary["size"]
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
    emit(args, summary, "\n".join(lines))


def show_diff(args, result: dict) -> None:
    lines = [f"from {result['from']}", f"to   {result['to']}"]
    for sign, key in (("+", "added"), ("-", "removed")):
        lines += [
            f"  {sign} {row['name']} {row['version']} {row['build']} ({row['kind']})"
            for row in result[key]
        ]
    lines += [
        f"  ~ {row['name']} {row['from_version']} {row['from_build']} -> "
        f"{row['to_version']} {row['to_build']} ({row['kind']})"
        for row in result["changed"]
    ]
    if len(lines) == 2:
        lines.append("  no differences")
    emit(args, result, "\n".join(lines))


def show_sbom(args, result: dict) -> None:
    if "sbom" in result:  # the SBOM itself is the answer, JSON already
        sys.stdout.write(result["sbom"])
        return
    emit(args, result, f"wrote {result['output']}")


SHOW = {
    name.removeprefix("show_"): function
    for name, function in list(globals().items())
    if name.startswith("show_") and callable(function)
}
