"""Container images for the container-build tests, made without any registry.

The machines that run the tests reach no registry, so the image is assembled from what the
test machine already has: the interpreter running the tests (binary, libpython, standard
library), the shared libraries it and its extension modules load (found with `ldd`), the host's
`dash` as `/bin/sh`, and in site-packages this project's package plus the modules that its
create and pack commands import. The root filesystem is written as a tar and imported through
the Docker API (`POST /images/create?fromSrc=-`, what `podman import` does).

An image is tagged by a hash of its content, so it is built once per machine and rebuilt only
when a file that goes into it changes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
from pathlib import Path

import conda_pack_ext

REPOSITORY = "localhost/conda-pack-ext-test"
PYTHON_HOME = "/opt/python"
LIBRARY_DIR = "/lib/x86_64-linux-gnu"
LOADER = "/lib64/ld-linux-x86-64.so.2"
IMAGE_PATH = f"{PYTHON_HOME}/bin:/usr/bin:/bin"
CA_CERTIFICATES = "/etc/ssl/certs/ca-certificates.crt"
# Bump when the layout below changes, so that images made by older code are not reused.
LAYOUT_VERSION = "1"

# What the image's `conda-pack-ext create` and `pack` import, directly or lazily.
MODULES_TO_SHIP = (
    "conda_pack_ext.cli",
    "conda_pack_ext.cli.show",
    "conda_pack_ext.operations",
    "conda_pack_ext.create",
    "conda_pack_ext.pack",
    "conda_pack_ext.envfile",
    "conda_pack_ext.manifest",
    "conda_pack_ext.engines.rattler_engine",
    "rattler",
    "conda_pack",
    "yaml",
    "isal.igzip_threaded",
)
STDLIB_SKIPPED = {"site-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip"}
# Extension modules nothing here uses, whose libraries (X11, Tk) would only add weight.
DYNLOAD_SKIPPED = ("_tkinter", "_curses")
PACKAGE_SKIPPED = {"labextension", "node_modules", "__pycache__"}
PASSWD = "root:x:0:0:root:/root:/bin/sh\n"
GROUP = "root:x:0:\n"


def python_image(client) -> str:
    """The tag of an image holding this interpreter and `conda-pack-ext`; built if missing."""
    files = _python_rootfs_files()
    return _ensure_image(client, "python", files, _python_extras(), _python_changes())


def shell_only_image(client) -> str:
    """The tag of an image with nothing but `/bin/sh` (no conda, no conda-pack-ext)."""
    files = _shared_library_files([Path("/bin/dash")])
    files["/bin/sh"] = Path("/bin/dash")
    return _ensure_image(client, "shell", files, {}, ["ENV PATH=/usr/bin:/bin"])


def _ensure_image(client, flavour: str, files: dict, extras: dict, changes: list) -> str:
    import docker

    tag = f"{REPOSITORY}:{flavour}-{_content_hash(files, extras, changes)}"
    try:
        client.images.get(tag)
        return tag
    except docker.errors.ImageNotFound:
        pass
    with tempfile.TemporaryDirectory(prefix="rootfs-") as scratch:
        archive = Path(scratch) / "rootfs.tar"
        _write_rootfs(archive, files, extras)
        # The API's `repo` may carry the tag; Podman ignores a separate `tag` parameter.
        client.api.import_image_from_file(str(archive), repository=tag, changes=changes)
    client.images.get(tag)  # raises if the import did not produce the image
    _remove_older_images(client, flavour, keep=tag)
    return tag


def _remove_older_images(client, flavour: str, keep: str) -> None:
    """Images of earlier contents are never used again: free their space."""
    for image in client.images.list(name=REPOSITORY):
        for tag in image.tags:
            if tag.startswith(f"{REPOSITORY}:{flavour}-") and tag != keep:
                try:
                    client.images.remove(tag, force=True)
                except Exception:  # another test run may still use it; keeping it is harmless
                    pass


# ---- what goes into the python image --------------------------------------------------------


def _python_rootfs_files() -> dict[str, Path]:
    """Image path -> host file, for the interpreter, its libraries and the shipped packages."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    base = Path(sys.base_prefix)
    stdlib = Path(sysconfig.get_paths(vars={"base": sys.base_prefix})["stdlib"])
    image_stdlib = f"{PYTHON_HOME}/lib/python{version}"
    site_packages = f"{image_stdlib}/site-packages"

    files: dict[str, Path] = {}
    interpreter = base / "bin" / f"python{version}"
    files[f"{PYTHON_HOME}/bin/python{version}"] = interpreter
    for path in _walk(stdlib, STDLIB_SKIPPED | {f"config-{version}-x86_64-linux-gnu"}):
        if path.parent.name == "lib-dynload" and path.name.startswith(DYNLOAD_SKIPPED):
            continue
        files[f"{image_stdlib}/{path.relative_to(stdlib).as_posix()}"] = path
    for image_path, host_path in _shipped_packages().items():
        files[f"{site_packages}/{image_path}"] = host_path
    files["/bin/sh"] = Path("/bin/dash")
    # rattler's HTTP client refuses to start without CA certificates, even for file:// channels.
    files[CA_CERTIFICATES] = Path(CA_CERTIFICATES)

    binaries = [interpreter, Path("/bin/dash")]
    binaries += [
        host for host in files.values() if host.name.endswith(".so") or ".so." in host.name
    ]
    files.update(_shared_library_files(binaries))
    return files


def _python_extras() -> dict[str, str]:
    """Small files written from text: the command, the interpreter's short names, users."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    launcher = (
        f"#!{PYTHON_HOME}/bin/python{version}\n"
        "import sys\n"
        "from conda_pack_ext.cli import main\n"
        "sys.exit(main())\n"
    )
    return {
        f"{PYTHON_HOME}/bin/conda-pack-ext": launcher,
        f"symlink:{PYTHON_HOME}/bin/python3": f"python{version}",
        f"symlink:{PYTHON_HOME}/bin/python": f"python{version}",
        "/etc/passwd": PASSWD,
        "/etc/group": GROUP,
    }


def _python_changes() -> list[str]:
    return [f"ENV PATH={IMAGE_PATH}", "ENV LANG=C.UTF-8", "ENV PYTHONDONTWRITEBYTECODE=1"]


def _shipped_packages() -> dict[str, Path]:
    """site-packages path -> host file for this package and every top-level module the
    commands import (found by importing them in a fresh interpreter), with their metadata."""
    probe = (
        "import importlib, json, sys\n"
        f"for name in {MODULES_TO_SHIP!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError:\n"
        "        pass\n"
        "found = {}\n"
        "for name, module in list(sys.modules.items()):\n"
        "    if '.' not in name and getattr(module, '__file__', None):\n"
        "        found[name] = [module.__file__, hasattr(module, '__path__')]\n"
        "print(json.dumps(found))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    top_level = json.loads(output.strip().splitlines()[-1])
    site_packages = [Path(p).resolve() for p in sys.path if p.endswith("site-packages")]
    own_package = Path(conda_pack_ext.__file__).parent

    shipped: dict[str, Path] = {}
    for name, (origin, is_package) in top_level.items():
        location = Path(origin).resolve()
        if is_package:
            location = location.parent
        if location == own_package:
            for path in _walk(own_package, PACKAGE_SKIPPED):
                shipped[f"{name}/{path.relative_to(own_package).as_posix()}"] = path
            continue
        root = next((sp for sp in site_packages if location.is_relative_to(sp)), None)
        if root is None:
            continue  # standard library
        if location.is_dir():
            for path in _walk(location, {"__pycache__"}):
                shipped[path.relative_to(root).as_posix()] = path
        else:
            shipped[location.relative_to(root).as_posix()] = location
        for library_dir in root.glob(f"{name}.libs"):  # vendored shared libraries (wheels)
            for path in _walk(library_dir, set()):
                shipped[path.relative_to(root).as_posix()] = path
    for distribution in _distributions_of(top_level):
        for path in _walk(distribution, set()):
            shipped[f"{distribution.name}/{path.relative_to(distribution).as_posix()}"] = path
    return shipped


def _distributions_of(top_level: list[str]) -> list[Path]:
    """The .dist-info folders of the distributions providing these modules (some packages
    read their own version from them)."""
    from importlib.metadata import distribution, packages_distributions

    provided = packages_distributions()
    names = {dist for name in top_level for dist in provided.get(name, ())}
    names.add("conda_pack_ext")
    folders = []
    for name in sorted(names):
        try:
            path = getattr(distribution(name), "_path", None)
        except Exception:
            continue
        if path is not None and Path(path).is_dir():
            folders.append(Path(path))
    return folders


def _shared_library_files(binaries: list[Path]) -> dict[str, Path]:
    """Image path -> host file for every shared library these binaries load (per `ldd`)."""
    files: dict[str, Path] = {}
    for chunk in range(0, len(binaries), 200):
        result = subprocess.run(
            ["ldd", *map(str, binaries[chunk : chunk + 200])],
            capture_output=True,
            text=True,
        )
        for line in result.stdout.splitlines():
            match = re.search(r"=>\s+(/\S+)", line)
            if match:
                library = Path(match.group(1))
                files[f"{LIBRARY_DIR}/{library.name}"] = library
            elif "ld-linux" in line and line.strip().startswith("/"):
                files[LOADER] = Path(line.split()[0])
    return files


def _walk(root: Path, skipped: set[str]):
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skipped)
        for filename in sorted(filenames):
            path = Path(folder) / filename
            if path.is_file() and not filename.endswith((".opt-1.pyc", ".opt-2.pyc")):
                yield path


# ---- writing and hashing ---------------------------------------------------------------------


def _content_hash(files: dict[str, Path], extras: dict[str, str], changes: list[str]) -> str:
    """Paths, sizes and modification times of every file (content for our own package,
    which changes between runs without changing size). Byte-code caches are left out: any
    import on the host may add some, and they only save start-up time."""
    digest = hashlib.sha256(LAYOUT_VERSION.encode())
    own_package = Path(conda_pack_ext.__file__).parent
    for image_path in sorted(files):
        if "/__pycache__/" in image_path:
            continue
        host = files[image_path]
        stat = host.stat()
        digest.update(f"{image_path}\0{host}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        if host.is_relative_to(own_package):
            digest.update(host.read_bytes())
    digest.update(json.dumps([extras, changes], sort_keys=True).encode())
    return digest.hexdigest()[:16]


def _write_rootfs(archive: Path, files: dict[str, Path], extras: dict[str, str]) -> None:
    """A root filesystem tar: every file owned by root, folders world-readable, /tmp 1777."""
    written_dirs: set[str] = set()
    with tarfile.open(archive, "w") as tar:

        def add_dir(path: str, mode: int = 0o755) -> None:
            if path in ("", "/") or path in written_dirs:
                return
            add_dir(os.path.dirname(path))
            info = tarfile.TarInfo(path.lstrip("/"))
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)
            written_dirs.add(path)

        add_dir("/tmp", 0o1777)
        for name in ("/etc", "/usr/bin", "/root"):
            add_dir(name)
        for image_path in sorted(files):
            host = files[image_path]
            add_dir(os.path.dirname(image_path))
            stat = host.stat()  # follows symlinks: libraries are copied as plain files
            info = tarfile.TarInfo(image_path.lstrip("/"))
            info.size, info.mtime = stat.st_size, int(stat.st_mtime)
            info.mode = 0o755 if stat.st_mode & 0o111 else 0o644
            with open(host, "rb") as content:
                tar.addfile(info, content)
        for image_path, text in sorted(extras.items()):
            if image_path.startswith("symlink:"):
                link = image_path.removeprefix("symlink:")
                add_dir(os.path.dirname(link))
                info = tarfile.TarInfo(link.lstrip("/"))
                info.type, info.linkname = tarfile.SYMTYPE, text
                tar.addfile(info)
                continue
            add_dir(os.path.dirname(image_path))
            data = text.encode()
            info = tarfile.TarInfo(image_path.lstrip("/"))
            info.size = len(data)
            info.mode = 0o755 if text.startswith("#!") else 0o644
            tar.addfile(info, io.BytesIO(data))
