"""Build with the user's own conda, mamba or micromamba, as ADS does with `conda env create`.

The tool gets a copy of the environment file with its relative paths (local channels,
pip requirement files, local wheels) made absolute, because the copy lives in a temporary
folder, and with ipykernel added when a kernel is wanted. It runs with `--json` so that its
answer (and its error) can be read; its output is streamed to the progress log.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml

from ..envfile import EnvFile, spec_name
from ..errors import BuildFailed, InvalidInput
from ..process import run_process
from ..progress import Progress
from . import EXTERNAL_TOOLS, find_tool

# `conda env create` reads environment files; mamba 2 and micromamba take them with -f.
# conda treats --json as --yes; the others are told explicitly.
COMMANDS = {
    "conda": ["env", "create", "--json"],
    "mamba": ["env", "create", "--json", "--yes"],
    "micromamba": ["create", "--json", "--yes"],
}


def build(
    tool: str, env: EnvFile, prefix: Path, *, add_kernel: bool, gpu: bool, progress: Progress
) -> dict:
    """Create `prefix` from `env` with `tool` (conda, mamba or micromamba).

    Returns {"engine", "kernel_added", "records"} like the rattler engine.
    """
    if tool not in EXTERNAL_TOOLS:
        raise InvalidInput(
            f"unknown engine {tool!r}", f"use one of: auto, rattler, {', '.join(EXTERNAL_TOOLS)}"
        )
    executable = find_tool(tool)
    if not executable:
        raise InvalidInput(
            f"engine {tool!r} was asked for but no {tool} executable was found",
            f"put {tool} on PATH (or set CONDA_EXE/MAMBA_EXE), or use --engine auto",
        )
    data = portable_env_data(env)
    kernel_added = add_kernel and _wants_python(env) and not env.requests("ipykernel")
    if kernel_added:
        data["dependencies"] = list(data.get("dependencies") or []) + ["ipykernel"]
    with tempfile.TemporaryDirectory(prefix="conda-pack-ext-env-") as folder:
        env_copy = Path(folder) / "environment.yaml"
        env_copy.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        command = [executable, *COMMANDS[tool], "--prefix", str(prefix), "--file", str(env_copy)]
        progress.phase("solving")
        progress.log("running " + " ".join(command))
        lines: list[str] = []

        def on_line(line: str) -> None:
            lines.append(line)
            progress.log(line)

        try:
            run_process(command, progress, what=f"{tool} env create", on_line=on_line)
        except BuildFailed:
            message = _json_error(lines)
            if message:
                raise BuildFailed(f"{tool} could not create the environment: {message}") from None
            raise
    return {"engine": tool, "kernel_added": kernel_added, "records": installed_versions(prefix)}


def portable_env_data(env: EnvFile) -> dict:
    """The environment file's content with relative paths made absolute and our own
    `manifest:` section removed (conda ignores it, micromamba may not)."""
    data = {k: v for k, v in env.data.items() if k != "manifest"}
    channels = []
    for name in env.channels:
        if name.startswith((".", "~")) or (name.startswith("/") and "://" not in name):
            path = Path(name).expanduser()
            name = (path if path.is_absolute() else env.base_dir / path).absolute().as_uri()
        channels.append(name)  # the tool knows `defaults` and channel names itself
    if channels:
        data["channels"] = channels
    dependencies = list(env.conda_specs)
    if env.pip_requirements:
        if "pip" not in {spec_name(s) for s in dependencies}:
            dependencies.append("pip")
        dependencies.append({"pip": env.resolved_pip_lines()})
    data["dependencies"] = dependencies
    return data


def installed_versions(prefix: Path) -> dict[str, str]:
    """Package name -> version of the conda packages installed in `prefix`."""
    versions = {}
    for record in (prefix / "conda-meta").glob("*.json"):
        try:
            info = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(info, dict) and info.get("name"):
            versions[info["name"]] = str(info.get("version", ""))
    return versions


def _wants_python(env: EnvFile) -> bool:
    # The conda tools solve and install in one step, so whether python ends up in the env
    # is judged from the file: python asked for, or a pip section (which needs python).
    return env.requests("python") or bool(env.pip_requirements)


def _json_error(lines: list[str]) -> str:
    """The `message` of the JSON error document conda and mamba print with --json."""
    text = "\n".join(lines)
    start = text.find("{")
    while start != -1:
        try:
            document, _ = json.JSONDecoder().raw_decode(text[start:])
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(document, dict) and (document.get("error") or document.get("message")):
            return str(document.get("message") or document.get("error")).strip()
        start = text.find("{", start + 1)
    return ""
