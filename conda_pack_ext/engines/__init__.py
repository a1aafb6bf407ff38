"""Environment builders: the embedded rattler engine, the user's conda tools, a container."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

EXTERNAL_TOOLS = ("conda", "mamba", "micromamba")


def find_tool(tool: str) -> str | None:
    """The path of conda, mamba or micromamba: CONDA_EXE / MAMBA_EXE first, then PATH."""
    for variable in ("CONDA_EXE", "MAMBA_EXE"):
        candidate = os.environ.get(variable)
        if candidate and Path(candidate).name.startswith(tool) and os.access(candidate, os.X_OK):
            if Path(candidate).name in (tool, f"{tool}.exe"):
                return candidate
    return shutil.which(tool)


def available_builders() -> list[dict]:
    """Every builder this machine can use; the embedded engine is always there."""
    import rattler  # a large native module: imported when asked, not at server start-up

    builders = [
        {
            "name": "rattler",
            "kind": "embedded",
            "version": getattr(rattler, "__version__", ""),
            "path": None,
        }
    ]
    for tool in EXTERNAL_TOOLS:
        path = find_tool(tool)
        if path:
            builders.append({"name": tool, "kind": "external", "path": path})
    return builders
