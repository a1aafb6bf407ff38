"""Kernelspecs an environment ships (`<env>/share/jupyter/kernels/<name>/kernel.json`),
vetted before we register them for the user.

A pack is untrusted input, and a kernelspec runs a program on the user's machine with the
environment it names. So a shipped kernelspec is rebuilt from its known fields rather than
copied: its program must be one of the env's own (`<env>/bin/<name>`, staying inside the env
once links are followed, and not a shell), its sizes are bounded, and of its variables only
an allowlist of harmless ones is kept (nothing that changes how programs are loaded or which
code an interpreter runs first: LD_PRELOAD, LD_LIBRARY_PATH, PYTHONPATH, PYTHONSTARTUP...).
The caller adds our own variables (PATH, CONDA_PREFIX) over them. Anything else is skipped
with a warning, never a crash.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .progress import Progress
from .safe_yaml import clip, shorten

MAX_KERNEL_JSON_BYTES = 64 * 1024
MAX_ARGUMENTS = 64
MAX_ARGUMENT_CHARS = 4096
MAX_NAME_CHARS = 200  # display_name and language
MAX_RESOURCE_FILES = 16  # logos, kernel.js
MAX_RESOURCE_BYTES = 1024 * 1024
# programs that would run whatever their arguments say rather than a kernel
SHELLS = frozenset(
    "sh bash dash zsh ksh mksh csh tcsh fish ash busybox env sudo su nohup xargs".split()
)
# the variables a shipped kernelspec may set: thread counts, locale, plotting back end
ALLOWED_VARIABLES = frozenset(
    {
        "JULIA_NUM_THREADS",
        "JULIA_PROJECT",
        "LANG",
        "LC_ALL",
        "MKL_NUM_THREADS",
        "MPLBACKEND",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "PYDEVD_DISABLE_FILE_VALIDATION",
        "TZ",
    }
)
INTERRUPT_MODES = ("signal", "message")


def shipped_kernelspecs(prefix: Path, skip: set[str], progress: Progress) -> list[tuple]:
    """The env's own kernelspecs we may register: (shipped name, kernel.json, folder)."""
    shipped = prefix / "share" / "jupyter" / "kernels"
    if shipped.is_symlink() or not shipped.is_dir():
        return []
    found = []
    for spec_dir in sorted(shipped.iterdir()):
        if spec_dir.name in skip or spec_dir.is_symlink() or not spec_dir.is_dir():
            continue
        spec = vet_shipped_spec(prefix, spec_dir, progress)
        if spec is not None:
            found.append((spec_dir.name, spec, spec_dir))
    return found


def vet_shipped_spec(prefix: Path, spec_dir: Path, progress: Progress) -> dict | None:
    """The kernelspec in `spec_dir` as we may register it, or None (with a warning)."""
    path = spec_dir / "kernel.json"
    try:
        vetted = _vet(prefix, path, progress)
    except OSError as error:
        vetted = f"it cannot be read ({error.strerror})"
    if isinstance(vetted, str):
        progress.warn(f"the env's kernelspec {shorten(spec_dir.name)} is skipped: {vetted}")
        return None
    return vetted


def _vet(prefix: Path, path: Path, progress: Progress) -> dict | str:
    """The kernelspec at `path` rebuilt from its known fields, or why it is refused."""
    if path.is_symlink() or not path.is_file():
        return "it has no kernel.json file"
    if path.stat().st_size > MAX_KERNEL_JSON_BYTES:
        return f"its kernel.json is larger than {MAX_KERNEL_JSON_BYTES} bytes"
    try:
        spec = json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        return "its kernel.json is not JSON"
    if not isinstance(spec, dict):
        return "its kernel.json is not a JSON object"
    argv = spec.get("argv")
    if (
        not isinstance(argv, list)
        or not 0 < len(argv) <= MAX_ARGUMENTS
        or not all(isinstance(a, str) and len(a) <= MAX_ARGUMENT_CHARS for a in argv)
    ):
        return f"its argv is not a list of at most {MAX_ARGUMENTS} arguments"
    program = env_program(prefix, argv[0])
    if program is None:
        return f"it runs {shorten(argv[0])}, not a program of the env's bin/ folder"
    vetted = {
        "argv": [program, *argv[1:]],
        "display_name": _text(spec.get("display_name")) or path.parent.name[:MAX_NAME_CHARS],
        "language": _text(spec.get("language")),
        "env": allowed_variables(spec.get("env"), path.parent.name, progress),
        "metadata": spec["metadata"] if isinstance(spec.get("metadata"), dict) else {},
    }
    if spec.get("interrupt_mode") in INTERRUPT_MODES:
        vetted["interrupt_mode"] = spec["interrupt_mode"]
    return vetted


def env_program(prefix: Path, program: str) -> str | None:
    """`<prefix>/bin/<name>` for a program given by name or by its path there, when it is
    an executable file that stays inside the env (links followed) and not a shell."""
    candidate = Path(os.path.normpath(prefix / "bin" / program if "/" not in program else program))
    bin_dir = prefix / "bin"
    if not candidate.is_absolute() or candidate.parent != bin_dir:
        return None
    real = candidate.resolve()
    if not real.is_relative_to(prefix.resolve()) or not real.is_file():
        return None
    if not os.access(real, os.X_OK) or {candidate.name, real.name} & SHELLS:
        return None
    return str(candidate)


def allowed_variables(env, spec_name: str, progress: Progress) -> dict[str, str]:
    """The variables of a shipped kernelspec that we keep (see ALLOWED_VARIABLES); the
    others are named in a warning."""
    if not isinstance(env, dict):
        return {}
    kept = {
        name: value
        for name, value in env.items()
        if name in ALLOWED_VARIABLES and isinstance(value, str) and len(value) <= 4096
    }
    dropped = sorted(str(name) for name in set(env) - set(kept))
    if dropped:
        progress.warn(
            f"the env's kernelspec {shorten(spec_name)} sets variables that are not passed "
            f"on: {clip(', '.join(dropped), 200)}"
        )
    return kept


def resource_files(folder: Path) -> list[Path]:
    """The files beside a kernel.json worth copying (logos, kernel.js): regular files of
    bounded size and number; links are not followed out of the env."""
    files = []
    for item in sorted(folder.iterdir()) if folder.is_dir() else []:
        if item.name == "kernel.json" or item.is_symlink() or not item.is_file():
            continue
        if item.stat().st_size <= MAX_RESOURCE_BYTES:
            files.append(item)
        if len(files) == MAX_RESOURCE_FILES:
            break
    return files


def _text(value) -> str:
    return value[:MAX_NAME_CHARS] if isinstance(value, str) else ""
