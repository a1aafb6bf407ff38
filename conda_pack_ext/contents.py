"""What an environment holds, read from wherever it is: a pack file, an installed env (its
slug or folder), a published pack (store URI or slug), a lock file or an environment file.

A pack is read as one stream, never extracted: only its manifest, its lock, `conda-meta/*.json`
and the METADATA of its Python distributions are read into memory, each with a size cap,
and everything else is skipped. A published pack carrying a lock is inspected from the lock
object beside it (a few KB), not downloaded.
"""

from __future__ import annotations

import email.parser
import io
import json
import posixpath
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import yaml

from .envfile import load_env_file, normalize_name, spec_name, validate_slug
from .errors import InvalidInput, NotFound, PackError
from .lock import (
    CONDA,
    LOCK_SUFFIX,
    MAX_LOCK_BYTES,
    PYPI,
    Lock,
    Package,
    conda_package,
    decode_lock,
    host_subdir,
    parse_lock,
    read_lock_file,
)
from .manifest import find_manifest, read_manifest
from .sbom import MAX_LICENSE_CHARS, MAX_SBOM_BYTES, SBOM_SUFFIX, licenses_from_sbom, purl
from .settings import Settings
from .tar_reader import TarReader

MAX_RECORD_BYTES = 32 << 20  # one conda-meta/*.json (the file lists of big packages)
MAX_RECORDS_BYTES = 512 << 20  # all of them together
MAX_MANIFEST_BYTES = 1 << 20
MAX_METADATA_BYTES = 4 << 20
PACK_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")
GZIP_MAGIC = b"\x1f\x8b"
ENV_FILE_SUFFIXES = (".yaml", ".yml")
SITE_METADATA = re.compile(r"^lib/python[^/]+/site-packages/([^/]+)\.dist-info/METADATA$")
# what a conda-meta record keeps after reading: the rest (file lists) can be large
RECORD_FIELDS = ("name", "version", "build", "channel", "subdir", "url", "sha256", "md5", "license")


@dataclass
class Contents:
    """An environment's package set and what is known around it."""

    source: str
    kind: str  # pack | env | published | lock | environment file
    packages: list[Package]
    manifest: dict = field(default_factory=dict)
    lock_text: str | None = None  # the lock it carries (None: read from conda-meta)
    size: int | None = None
    platform: str = ""
    # environment files only: what they ask for (name, kind, spec)
    requested: list[tuple[str, str, str]] | None = None

    @property
    def python(self) -> str:
        return next((p.version for p in self.packages if p.name == "python"), "") or str(
            self.manifest.get("python") or ""
        )

    def lock(self) -> Lock:
        """The package set as a lock (the one it carries, or one made from conda-meta)."""
        conda = [p for p in self.packages if p.kind == CONDA]
        pypi = [p for p in self.packages if p.kind == PYPI]
        return Lock(self.platform or host_subdir(), conda, pypi)

    def summary(self) -> dict:
        """inspect's answer."""
        return {
            "source": self.source,
            "kind": self.kind,
            "manifest": self.manifest,
            "packages": [p.row() for p in sorted(self.packages, key=_order)],
            "size": self.size,
            "python": self.python,
            "platform": self.platform,
            "has_lock": self.lock_text is not None,
        }


def _order(package: Package) -> tuple[str, str]:
    return (package.kind, package.name)


# ---- dispatch -------------------------------------------------------------------------


def read_contents(source: str, settings: Settings, *, published: bool = False) -> Contents:
    """The contents of `source`: a published slug (`published`), an `oci://` URI, a pack
    file, a lock file, an environment file, an env folder, or an installed env's slug."""
    if published:
        from .publish import resolve_slug

        return published_contents(resolve_slug(source, settings))
    if source.startswith("oci://"):
        from .publish import source_for_uri

        return published_contents(source_for_uri(source, settings))
    # a folder store's pack_uri is a file:// URI, percent-encoded as Path.as_uri writes it
    path = Path(unquote(source.removeprefix("file://")) if source.startswith("file://") else source)
    path = path.expanduser()
    if path.is_dir():
        return prefix_contents(path)
    if path.is_file():
        return file_contents(path)
    if "/" not in source:
        prefix = settings.pack_folder / validate_slug(source)
        if prefix.is_dir():
            return prefix_contents(prefix)
    raise NotFound(
        f"{source!r} is neither a file, a folder, nor an env installed in {settings.pack_folder}",
        "give a pack file, a lock or environment file, an env folder or slug, an oci:// URI, "
        "or -s SLUG for a published pack",
    )


def file_contents(path: Path) -> Contents:
    """A pack, an environment file or a lock file, told apart by their names."""
    name = path.name.lower()
    if name.endswith(PACK_SUFFIXES) or _is_gzip(path):
        with open(path, "rb") as stream:
            contents = pack_contents(stream, str(path))
        contents.size = path.stat().st_size
        return contents
    if name.endswith(ENV_FILE_SUFFIXES):
        return env_file_contents(path)
    lock, text = read_lock_file(path)
    return Contents(str(path), "lock", lock.packages, lock_text=text, platform=lock.platform)


def _is_gzip(path: Path) -> bool:
    """Whether the file starts as gzip does: a pack published to a folder store is named
    by its slug alone, without a suffix."""
    with open(path, "rb") as stream:
        return stream.read(2) == GZIP_MAGIC


def env_file_contents(path: Path) -> Contents:
    """What an environment file asks for (its specs, not a package set)."""
    env = load_env_file(path)
    requested = [(spec_name(s), CONDA, s) for s in env.conda_specs]
    for line in env.pip_requirements:
        name = re.split(r"[\s<>=!~\[;@]", line.strip(), maxsplit=1)[0]
        if name and not name.startswith("-"):
            requested.append((normalize_name(name), PYPI, line.strip()))
    return Contents(str(path), "environment file", [], dict(env.manifest), requested=requested)


# ---- installed envs -------------------------------------------------------------------


def prefix_contents(prefix: Path) -> Contents:
    """An env on disk: its manifest, conda-meta and Python distributions."""
    prefix = prefix.absolute()
    if not (prefix / "conda-meta").is_dir():
        raise InvalidInput(
            f"{prefix} is not a conda environment (it has no conda-meta/ folder)",
            "give the folder or slug of an environment",
        )
    manifest = {}
    if find_manifest(prefix):
        try:
            manifest = read_manifest(prefix)["manifest"]
        except PackError:
            manifest = {}
    lock = prefix_lock(prefix)
    return Contents(str(prefix), "env", lock.packages, manifest, platform=lock.platform)


def prefix_lock(prefix: Path) -> Lock:
    """The exact package set of the env at `prefix`, from conda-meta and site-packages."""
    records, owned = [], set()
    for path in sorted((prefix / "conda-meta").glob("*.json")):
        record = _parse_record(_read_capped(path, MAX_RECORD_BYTES), str(path))
        records.append(conda_package(record))
        owned.update(_dist_infos(record))
    pypi = []
    for metadata in sorted(prefix.glob("lib/python*/site-packages/*.dist-info/METADATA")):
        relative = metadata.relative_to(prefix).as_posix()
        if relative in owned:
            continue
        package = _pypi_package(_read_capped(metadata, MAX_METADATA_BYTES), relative)
        _add_direct_url(package, metadata.parent / "direct_url.json")
        pypi.append(package)
    return Lock(_subdir(records), records, pypi)


def _read_capped(path: Path, limit: int) -> bytes:
    with open(path, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"{path} is larger than {limit >> 20} MB", "it is not what it seems")
    return data


def _add_direct_url(package: Package, path: Path) -> None:
    """pip's record of a wheel installed from a URL or file: install it from there again."""
    try:
        info = json.loads(_read_capped(path, MAX_MANIFEST_BYTES))
        url = info["url"]
        archive = info.get("archive_info") or {}
    except (OSError, ValueError, KeyError, TypeError, InvalidInput):
        return
    if not isinstance(url, str) or "dir_info" in info or "vcs_info" in info:
        return
    package.requirement = f"{package.name} @ {url}"
    digest = (archive.get("hashes") or {}).get("sha256") or ""
    if not digest and str(archive.get("hash", "")).startswith("sha256="):
        digest = archive["hash"][len("sha256=") :]
    package.sha256 = digest


# ---- packs, read while streaming --------------------------------------------------------


def pack_contents(stream, where: str) -> Contents:
    """Read a pack (any stream of a tar, compressed or not) without extracting it."""
    from .extract_source import DamagedPack, open_decompressed

    buffered = io.BufferedReader(_Raw(stream), buffer_size=1 << 20)
    reader = _PackReader(where)
    try:
        tar_bytes = open_decompressed(buffered)
        try:
            reader.archive = TarReader(tar_bytes)
            for member in reader.archive:
                reader.member(member.name, member)
        finally:
            if tar_bytes is not buffered:
                tar_bytes.close()
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise DamagedPack(
            f"{where} is damaged or truncated: {error or type(error).__name__}",
            "download or build it again",
        ) from None
    return reader.contents()


class _PackReader:
    """Collects the members that describe a pack, as TarReader passes them by."""

    def __init__(self, where: str):
        self.where = where
        self.records: list[dict] = []
        self.records_bytes = 0
        self.owned: set[str] = set()
        self.metadata: dict[str, bytes] = {}
        self.manifest: dict = {}
        self.lock_text: str | None = None
        self.conda_meta = False
        self.archive: TarReader | None = None

    def member(self, name: str, member: tarfile.TarInfo) -> None:
        name = str(PurePosixPath(name.removeprefix("./")))
        if name.startswith("conda-meta/"):
            self.conda_meta = True
        if not member.isreg():
            return
        if name.startswith("conda-meta/") and name.endswith(".json") and name.count("/") == 1:
            self.records_bytes += member.size
            if self.records_bytes > MAX_RECORDS_BYTES:
                raise InvalidInput(f"{self.where}: conda-meta/ is too large to be real")
            record = _parse_record(self._data(member, MAX_RECORD_BYTES), f"{self.where}:{name}")
            self.records.append({k: record.get(k) for k in RECORD_FIELDS})
            self.owned.update(_dist_infos(record))
        elif "/" not in name and name.endswith("_manifest.yaml"):
            self.manifest = _manifest_section(self._data(member, MAX_MANIFEST_BYTES), name)
        elif "/" not in name and name.endswith(LOCK_SUFFIX):
            where = f"{self.where}:{name}"
            self.lock_text = decode_lock(self._data(member, MAX_LOCK_BYTES), where)
            parse_lock(self.lock_text, where)  # a bad lock is named now, not at first use
        elif SITE_METADATA.match(name) and member.size <= MAX_METADATA_BYTES:
            self.metadata[name] = self._data(member, MAX_METADATA_BYTES)

    def _data(self, member: tarfile.TarInfo, limit: int) -> bytes:
        if member.size > limit:
            raise InvalidInput(
                f"{self.where}: member {member.name} is {member.size} bytes, more than the "
                f"{limit >> 20} MB such a file can be",
                "the pack is damaged or not a conda pack",
            )
        return self.archive.read_data()

    def contents(self) -> Contents:
        if not self.conda_meta:
            raise InvalidInput(
                f"{self.where} has no conda-meta/ folder: it is not a conda environment pack",
                "give a pack made by conda-pack-ext, ADS or conda-pack",
            )
        conda = [conda_package(record) for record in self.records]
        pypi = [
            _pypi_package(data, name)
            for name, data in sorted(self.metadata.items())
            if name not in self.owned
        ]
        lock = Lock(_subdir(conda), conda, pypi)
        packages = lock.packages
        if self.lock_text is not None:
            # the lock is the package set; the metadata adds what it has no field for
            licenses = {(p.kind, p.name): p.license for p in packages}
            packages = parse_lock(self.lock_text, self.where).packages
            for package in packages:
                package.license = licenses.get((package.kind, package.name), "")
        return Contents(
            self.where, "pack", packages, self.manifest, self.lock_text, platform=lock.platform
        )


class _Raw(io.RawIOBase):
    """Any object with read(n) as a raw stream, for io.BufferedReader."""

    def __init__(self, stream):
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# ---- published packs ------------------------------------------------------------------


def published_contents(source) -> Contents:
    """A published pack (a StorePackSource): from the lock object beside it when there is
    one, else by streaming the pack."""
    store, key = source.store, source.key
    lock_key = key + LOCK_SUFFIX
    info = store.head(lock_key)
    manifest = dict(source.manifest or {})
    if info is not None and info.size <= MAX_LOCK_BYTES:
        stream = store.open(lock_key, info.size)
        try:
            data = stream.read(MAX_LOCK_BYTES + 1)
        finally:
            stream.close()
        where = store.object_uri(lock_key)
        text = decode_lock(data, where)
        lock = parse_lock(text, where)
        _add_sbom_licenses(store, key, lock.packages)
        return Contents(
            source.uri, "published", lock.packages, manifest, text, source.size, lock.platform
        )
    with source.open() as stream:
        contents = pack_contents(stream, source.uri)
    contents.kind, contents.size = "published", source.size
    contents.manifest = contents.manifest or manifest
    return contents


def _add_sbom_licenses(store, key: str, packages: list[Package]) -> None:
    """A lock has no field for licenses: take them from the SBOM beside the pack, if any."""
    info = store.head(key + SBOM_SUFFIX)
    if info is None or info.size > MAX_SBOM_BYTES:
        return
    stream = store.open(key + SBOM_SUFFIX, info.size)
    try:
        licenses = licenses_from_sbom(stream.read(MAX_SBOM_BYTES + 1))
    finally:
        stream.close()
    for package in packages:
        package.license = licenses.get(purl(package).partition("?")[0], package.license)


# ---- shared pieces --------------------------------------------------------------------


def _parse_record(data: bytes, where: str) -> dict:
    try:
        record = json.loads(data)
    except ValueError as error:
        raise InvalidInput(f"{where} is not valid JSON: {error}") from None
    if not isinstance(record, dict) or not record.get("name") or not record.get("version"):
        raise InvalidInput(f"{where} is not a conda package record (no name or version)")
    return record


def _dist_infos(record: dict) -> set[str]:
    """The METADATA files of Python distributions that a conda package installed."""
    files = record.get("files") if isinstance(record.get("files"), list) else []
    return {str(f) for f in files if isinstance(f, str) and SITE_METADATA.match(f)}


def _pypi_package(data: bytes, where: str) -> Package:
    headers = email.parser.BytesHeaderParser().parsebytes(data)
    name = str(headers.get("Name") or "").strip()
    version = str(headers.get("Version") or "").strip()
    if not name or not version:
        folder = posixpath.basename(posixpath.dirname(where)).removesuffix(".dist-info")
        name, _, version = folder.partition("-")
    license_text = str(headers.get("License-Expression") or headers.get("License") or "")
    if len(license_text) > MAX_LICENSE_CHARS or "\n" in license_text:
        license_text = ""  # whole license texts are not identifiers
    return Package(normalize_name(name), version, PYPI, license=license_text.strip())


def _manifest_section(data: bytes, where: str) -> dict:
    """The `manifest:` section of a pack's manifest, refusing YAML aliases."""
    try:
        text = data.decode("utf-8")
        if any(isinstance(t, yaml.AliasToken) for t in yaml.scan(text)):
            raise InvalidInput(f"{where}: YAML aliases are not accepted in a manifest")
        document = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise InvalidInput(f"{where} is not a valid manifest: {error}") from None
    section = document.get("manifest") if isinstance(document, dict) else None
    return section if isinstance(section, dict) else {}


def _subdir(packages: list[Package]) -> str:
    subdirs = {p.subdir for p in packages if p.subdir and p.subdir != "noarch"}
    return sorted(subdirs)[0] if subdirs else ""
