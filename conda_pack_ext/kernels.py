"""Jupyter kernelspecs for installed environments: register, find, remove, clean up.

Kernelspecs go in the user's Jupyter data dir (`jupyter_data_dir()/kernels`, which honours
JUPYTER_DATA_DIR). Ours carry `metadata.conda_pack_ext` naming the env's prefix and slug:
that is how uninstall and cleanup find them, and foreign kernelspecs are never touched.
Each kernelspec is written into a temporary folder and renamed into place, and a batch
either lands whole or is rolled back, so a reader never sees a half-written kernel.
A kernel name held by another env's kernelspec (or a foreign one) is never replaced: the
new kernel gets a suffix instead. Kernelspecs the env ships are vetted (shipped_kernels.py).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from jupyter_core.paths import jupyter_config_path, jupyter_data_dir

from .progress import Progress
from .shipped_kernels import resource_files, shipped_kernelspecs

METADATA_KEY = "conda_pack_ext"
KERNEL_PREFIX = "conda-pack-"
NO_IPYKERNEL_NOTE = "no kernel: add ipykernel to the environment file"
NB_CONDA_KERNELS_MANAGER = "nb_conda_kernels.CondaKernelSpecManager"
# kernelspecs an env ships that we replace by our own python kernel
OWN_PYTHON_SPECS = {"python3", "python2"}
MAX_NAME_CHARS = 230  # a kernel name is a folder name; 255 bytes is the usual limit
MAX_JSON_BYTES = 1024 * 1024  # kernel.json files and conda-meta/state we read


def kernels_dir() -> Path:
    return Path(jupyter_data_dir()) / "kernels"


def kernel_name(slug: str, suffix: str = "") -> str:
    """`conda-pack-<slug>[-<suffix>]`, lower case, limited to the characters Jupyter accepts."""
    raw = f"{KERNEL_PREFIX}{slug}" + (f"-{suffix}" if suffix else "")
    return re.sub(r"[^a-z0-9._-]+", "-", raw.lower())


def has_ipykernel(prefix: Path) -> bool:
    if any((prefix / "conda-meta").glob("ipykernel-*.json")):
        return True
    return any(prefix.glob("lib/python3*/site-packages/ipykernel/__init__.py"))


def env_variables(prefix: Path, manifest_document: dict | None) -> dict[str, str]:
    """Variables the env sets when activated: the environment file's `variables` and
    those `conda env config vars set` stored in conda-meta/state."""
    variables: dict[str, str] = {}
    state = read_json_object(prefix / "conda-meta" / "state") or {}
    if isinstance(state.get("env_vars"), dict):
        variables.update(state["env_vars"])
    if manifest_document and isinstance(manifest_document.get("variables"), dict):
        variables.update(manifest_document["variables"])  # plain values (envfile.py checks)
    return {
        str(key): str(value)
        for key, value in variables.items()
        if isinstance(value, (str, int, float, bool)) and len(str(value)) <= 4096
    }


def read_json_object(path: Path) -> dict | None:
    """The JSON object in a file of at most MAX_JSON_BYTES; None for anything else."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_JSON_BYTES:
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def nb_conda_kernels_lists(prefix: Path) -> bool:
    """Whether nb_conda_kernels will list this env's kernels by itself, so that ours would
    be duplicates (same "Python [conda env:...]" name, other kernel names).

    nb_conda_kernels (a conda-only package) serves kernels only when it is the server's
    kernel spec manager, asks `conda info --json` (CONDA_EXE, else `conda` on PATH) which
    envs exist, skips those its `env_filter` matches, and lists an env's kernelspecs under
    `share/jupyter/kernels`, not its ipykernel. Each condition is checked, and when one is
    unsure the answer is False: a duplicate kernel is better than none."""
    if importlib.util.find_spec("nb_conda_kernels") is None:
        return False
    config = nb_conda_kernels_config()
    if config is None:
        return False
    if not any((prefix / "share" / "jupyter" / "kernels").glob("*/kernel.json")):
        return False
    env_filter = config.get("env_filter")
    if isinstance(env_filter, str) and env_filter and re.search(env_filter, str(prefix)):
        return False
    return str(prefix) in conda_env_paths()


def nb_conda_kernels_config() -> dict | None:
    """The `CondaKernelSpecManager` settings when Jupyter's JSON config files make it the
    kernel spec manager (as `python -m nb_conda_kernels install --enable` does), else None.
    Python config files are not run, so a manager enabled there is not seen."""
    enabled, settings = False, {}
    for folder in jupyter_config_path()[::-1]:  # later folders are overridden by earlier
        for name in ("jupyter_config.json", "jupyter_server_config.json"):
            try:
                config = json.loads((Path(folder) / name).read_text())
            except (OSError, ValueError):
                continue
            if not isinstance(config, dict):
                continue
            for app in ("JupyterApp", "ServerApp", "NotebookApp"):
                manager = (config.get(app) or {}).get("kernel_spec_manager_class")
                if isinstance(manager, str):
                    enabled = manager == NB_CONDA_KERNELS_MANAGER
            settings.update(config.get("CondaKernelSpecManager") or {})
    return settings if enabled else None


def conda_env_paths() -> set[str]:
    """The env paths conda reports, as nb_conda_kernels gets them; empty without conda."""
    conda = os.environ.get("CONDA_EXE") or shutil.which("conda")
    if not conda:
        return set()
    try:
        result = subprocess.run(
            [conda, "info", "--json"], capture_output=True, text=True, timeout=60, check=True
        )
        return {str(Path(p)) for p in json.loads(result.stdout).get("envs") or []}
    except (OSError, subprocess.SubprocessError, ValueError, AttributeError):
        return set()


def build_kernelspecs(
    prefix: Path, slug: str, info: dict, variables: dict[str, str], progress: Progress
) -> list[tuple[str, dict, Path | None]]:
    """The kernelspecs for an env at `prefix`: (name, kernel.json, resources folder). Names
    are not yet checked against other envs' kernels (see `unique_names`)."""
    metadata = {
        METADATA_KEY: {
            "slug": slug,
            "prefix": str(prefix),
            "name": str(info.get("name", "")),
            "version": str(info.get("version", "")),
            "pack_uri": str(info.get("pack_uri", "")),
        }
    }
    env = {
        **variables,
        # jupyter_client expands ${PATH} from the server's environment at kernel start
        "PATH": f"{prefix / 'bin'}{os.pathsep}${{PATH}}",
        "CONDA_PREFIX": str(prefix),
        "CONDA_DEFAULT_ENV": str(prefix),
    }
    specs = []
    if has_ipykernel(prefix):
        specs.append(
            (
                kernel_name(slug),
                {
                    "argv": [
                        str(prefix / "bin" / "python"),
                        "-m",
                        "ipykernel_launcher",
                        "-f",
                        "{connection_file}",
                    ],
                    "display_name": f"Python [conda env:{slug}]",
                    "language": "python",
                    "env": env,
                    "metadata": metadata,
                },
                _python_resources(prefix),
            )
        )
    for shipped_name, spec, spec_dir in shipped_kernelspecs(prefix, OWN_PYTHON_SPECS, progress):
        spec["display_name"] = f"{spec['display_name']} [conda env:{slug}]"
        spec["env"] = {**spec["env"], **env}  # ours win
        spec["metadata"] = {**spec["metadata"], **metadata}
        specs.append((kernel_name(slug, shipped_name), spec, spec_dir))
    return specs


def unique_names(specs: list[tuple], prefix: Path, progress: Progress) -> list[tuple]:
    """The specs under names that are theirs to take: a name held by a kernelspec of
    another env (or a foreign one), or by an earlier spec of this batch, gets a suffix
    made from the env's prefix and the original name; one still taken is left out."""
    placed, taken = [], set()
    for name, spec, resources in specs:
        for candidate in (name, _suffixed(name, prefix)):
            if candidate not in taken and _free_for(candidate, prefix):
                placed.append((candidate, spec, resources))
                taken.add(candidate)
                break
        else:
            progress.warn(f"kernel {name!r} is left out: another kernel holds that name")
    return placed


def _suffixed(name: str, prefix: Path) -> str:
    digest = hashlib.sha256(f"{prefix}\0{name}".encode()).hexdigest()[:8]
    return f"{name[:MAX_NAME_CHARS]}-{digest}"


def _free_for(name: str, prefix: Path) -> bool:
    """Whether the kernel name `name` is free, or ours for the env at `prefix` (or ours for
    an env that no longer exists): only then may we write it."""
    if len(name) > MAX_NAME_CHARS + 9:
        return False
    folder = kernels_dir() / name
    if not os.path.lexists(folder):
        return True
    owner = _owner(folder / "kernel.json")
    return owner is not None and (owner == str(prefix) or not Path(owner).is_dir())


def _owner(spec_file: Path) -> str | None:
    """The env prefix named in our metadata of a kernel.json; None if not one of ours."""
    info = our_metadata(spec_file)
    return info["prefix"] if info else None


def our_metadata(spec_file: Path) -> dict | None:
    """The `conda_pack_ext` metadata of a kernel.json (naming the env's prefix), or None
    for a kernelspec that is not ours."""
    spec = read_json_object(spec_file) or {}
    metadata = spec.get("metadata")
    info = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    ours = isinstance(info, dict) and isinstance(info.get("prefix"), str) and info["prefix"]
    return info if ours else None


def _python_resources(prefix: Path) -> Path | None:
    """ipykernel's logos, when the env ships them."""
    for candidate in prefix.glob("share/jupyter/kernels/python3"):
        return candidate
    found = list(prefix.glob("lib/python3*/site-packages/ipykernel/resources"))
    return found[0] if found else None


def register_kernels(
    prefix: Path, slug: str, info: dict, manifest_document: dict | None, progress: Progress
) -> list[str]:
    """Write the env's kernelspecs; returns their names. All land or none do.

    An existing kernelspec of the same name is replaced in one rename, so a kernel started
    from it meanwhile keeps working (its paths stay the same)."""
    variables = env_variables(prefix, manifest_document)
    specs = build_kernelspecs(prefix, slug, info, variables, progress)
    if not has_ipykernel(prefix):
        progress.warn(NO_IPYKERNEL_NOTE)
    if nb_conda_kernels_lists(prefix):
        progress.log(f"nb_conda_kernels lists {prefix} already: no extra kernel registered")
        specs = []
    specs = unique_names(specs, prefix, progress)
    _write_all(specs)
    names = [name for name, _, _ in specs]
    # kernels an earlier install of this prefix registered and this one does not
    for obsolete in set(kernels_of(prefix)) - set(names):
        shutil.rmtree(kernels_dir() / obsolete, ignore_errors=True)
    if names:
        progress.log(f"registered kernel(s): {', '.join(names)}")
    return names


def _write_all(specs: list[tuple[str, dict, Path | None]]) -> None:
    """Write each kernelspec folder beside its final place and rename it in; on any failure
    remove the new ones and put back those they replaced."""
    if not specs:
        return
    target_dir = kernels_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, Path | None]] = []  # (kernel folder, previous one moved aside)
    staged: list[Path] = []
    try:
        for name, spec, resources in specs:
            staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=target_dir))
            staged.append(staging)
            if resources:
                _copy_resources(resources, staging)
            (staging / "kernel.json").write_text(json.dumps(spec, indent=1))
            final = target_dir / name
            previous = None
            if final.exists():
                previous = Path(tempfile.mkdtemp(prefix=f".{name}.old.", dir=target_dir))
                previous.rmdir()
                final.rename(previous)
            written.append((final, previous))
            staging.rename(final)
    except BaseException:
        for final, previous in reversed(written):
            shutil.rmtree(final, ignore_errors=True)
            if previous:
                previous.rename(final)
        for leftover in staged:
            shutil.rmtree(leftover, ignore_errors=True)
        raise
    for _, previous in written:
        if previous:
            shutil.rmtree(previous, ignore_errors=True)


def _copy_resources(source: Path, staging: Path) -> None:
    """Logos and other files beside kernel.json; links are not followed out of the env."""
    for item in resource_files(source):
        shutil.copy2(item, staging / item.name)


def our_kernels() -> dict[str, dict]:
    """Our kernelspecs by name: name -> the `conda_pack_ext` metadata."""
    found = {}
    folder = kernels_dir()
    if not folder.is_dir():
        return found
    for spec_file in folder.glob("*/kernel.json"):
        info = our_metadata(spec_file)
        if info:
            found[spec_file.parent.name] = info
    return found


def kernels_of(prefix: Path) -> list[str]:
    return sorted(name for name, info in our_kernels().items() if info["prefix"] == str(prefix))


def remove_kernels(prefix: Path) -> list[str]:
    """Remove our kernelspecs for the env at `prefix`; returns their names."""
    names = kernels_of(prefix)
    for name in names:
        shutil.rmtree(kernels_dir() / name, ignore_errors=True)
    return names
