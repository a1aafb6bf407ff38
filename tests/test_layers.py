"""The package's layering, as ARCHITECTURE.md describes it: small modules, a core that runs
without a Jupyter server, store back-ends that know nothing above them, and a server that
starts without the heavy SDKs (oci, docker, rattler, conda-pack)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import conda_pack_ext

PACKAGE = Path(conda_pack_ext.__file__).parent
MAX_MODULE_LINES = 500
# What a store back-end may import from the package: the bottom layer and its own folder.
BOTTOM_LAYER = {"errors", "settings", "progress", "private_files", "safe_yaml"}
# Imported only when an operation needs them (see the comments at their imports).
LAZY_DEPENDENCIES = ("oci", "docker", "rattler", "conda_pack")


def module_names(folder: Path = PACKAGE, skip: tuple[str, ...] = ()) -> list[str]:
    names = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__main__" or any(part in skip for part in parts):
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def modules_loaded_by(imports: list[str]) -> set[str]:
    """The top-level modules in sys.modules after importing `imports` in a fresh process."""
    script = (
        "import importlib, json, sys\n"
        f"for name in {imports!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_no_module_is_over_500_lines():
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_the_core_imports_no_tornado_or_jupyter_server():
    core = module_names(skip=("server",))
    assert "conda_pack_ext.jobs" in core and "conda_pack_ext.publish" in core
    loaded = modules_loaded_by(core)
    assert {"tornado", "jupyter_server"} & loaded == set()


def test_the_server_starts_without_the_heavy_sdks():
    loaded = modules_loaded_by(["conda_pack_ext", "conda_pack_ext.server"])
    assert "jupyter_server" in loaded
    assert set(LAZY_DEPENDENCIES) & loaded == set()


def test_store_back_ends_import_nothing_above_them():
    above = {}
    for path in sorted((PACKAGE / "stores").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 2:  # from ..x import y
                names = [node.module] if node.module else [a.name for a in node.names]
                bad = [n for n in names if n.split(".")[0] not in BOTTOM_LAYER]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                top = node.module.split(".")
                bad = [node.module] if top[0] == "conda_pack_ext" and top[1:2] != ["stores"] else []
            elif isinstance(node, ast.Import):
                bad = [a.name for a in node.names if a.name.startswith("conda_pack_ext.")]
            else:
                continue
            if bad:
                above.setdefault(path.name, []).extend(bad)
    assert above == {}
