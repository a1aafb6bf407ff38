"""Oracle's service conda packs: the index of the user's region, and finding a pack's object.

Oracle publishes its "Data Science" packs in the bucket `service-conda-packs` of a namespace
that depends on the region (ADS's table, `ads/opctl/conda/config.yaml`), with the index
`service_pack/index.json` (top key `service_packs`). An entry's `par` (a pre-authenticated
URL, no signature needed) names the object as stored, with spaces in the name part, while
its `path` and `pack_path` spell that part with underscores: we try each name through the
user's authenticated client, then the `par` URL, and say which failed when none works.
The setting `service_index` (flag `--service-index`) points elsewhere: another realm, a
mirror, a test server (`oci://bucket@ns/path/index.json`, `file:///...`, or an https PAR).
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import oci

from .envfile import validate_slug
from .errors import InvalidInput, NotFound, PackError, StoreError
from .settings import Settings

SERVICE_BUCKET = "service-conda-packs"
DEFAULT_INDEX_PATH = "service_pack/index.json"
# The namespace of Oracle's bucket in the commercial realm (oc1), and the regions that
# differ, with their index path (facts from ADS's bucket_info table).
DEFAULT_NAMESPACE = "id19sfcrra6z"
REGION_BUCKETS = {
    "ap-chiyoda-1": ("axvucm64yaas", DEFAULT_INDEX_PATH),
    "us-langley-1": ("ociodscprodoc2", DEFAULT_INDEX_PATH),
    "us-luke-1": ("ociodscprodoc2", DEFAULT_INDEX_PATH),
    "us-gov-ashburn-1": ("ociodscprodoc3", DEFAULT_INDEX_PATH),
    "us-gov-phoenix-1": ("ociodscprodoc3", DEFAULT_INDEX_PATH),
    "us-gov-chicago-1": ("ociodscprodoc3", "index.json"),
}
MAX_INDEX_BYTES = 32 << 20  # Oracle's index is a few hundred KB (logos included)
HTTP_TIMEOUT = 60
# the fields `list --service` shows, beside the entry's own
ROW_FIELDS = ("slug", "name", "version", "python", "arch_type", "size_mb", "description")


def user_region(settings: Settings) -> str:
    """The region of the user's OCI auth (config profile, resource or instance principal)."""
    from .stores import oci_auth

    config, _ = oci_auth.build_signer(settings)
    region = str(config.get("region") or "")
    if not region:
        raise InvalidInput(
            f"no region known for auth {oci_auth.describe_auth(settings)}",
            "set region in the OCI config profile, or give the index with --service-index",
        )
    return region


def region_index_uri(region: str) -> str:
    """oci://service-conda-packs@<namespace>/<index path> for a region."""
    if region in REGION_BUCKETS:
        namespace, index_path = REGION_BUCKETS[region]
    elif oci.regions.REGION_REALMS.get(region) == "oc1":
        namespace, index_path = DEFAULT_NAMESPACE, DEFAULT_INDEX_PATH
    else:
        raise InvalidInput(
            f"no known namespace of Oracle's service packs for region {region!r}",
            "give the index of your realm with --service-index oci://service-conda-packs@"
            "<namespace>/service_pack/index.json (or [CONDA] service_index in config.ini)",
        )
    return f"oci://{SERVICE_BUCKET}@{namespace}/{index_path}"


def index_uri(settings: Settings) -> str:
    return settings.service_index or region_index_uri(user_region(settings))


# ---- reading the index ----------------------------------------------------------------


def read_index_document(uri: str, settings: Settings) -> bytes:
    """The index's bytes from oci://, file:// or http(s):// (a PAR), at most MAX_INDEX_BYTES."""
    scheme = urlsplit(uri).scheme
    if scheme == "oci":
        from .stores.oci_store import OciStore, parse_oci_uri

        bucket, namespace, key = parse_oci_uri(uri)
        store = OciStore(f"oci://{bucket}@{namespace}", settings)
        try:
            response = store._call(
                store.client.get_object, namespace, bucket, key, what=f"read {uri}"
            )
        except PackError as error:  # the store's hint speaks of the user's own prefix
            raise type(error)(
                f"cannot read the service index {uri}: {error.message}",
                "check --service-index (or [CONDA] service_index in config.ini), and that "
                "your auth may read Oracle's bucket (notebook sessions: resource principal)",
            ) from None
        return _bounded(response.data.raw, response.headers.get("content-length"), uri)
    if scheme == "file":
        path = Path(unquote(urlsplit(uri).path))
        try:
            with open(path, "rb") as stream:
                return _bounded(stream, None, uri)
        except OSError as error:
            raise NotFound(
                f"cannot read the service index {uri}: {error.strerror}",
                "check --service-index (or [CONDA] service_index in config.ini)",
            ) from None
    if scheme in ("http", "https"):
        try:
            with urllib.request.urlopen(uri, timeout=HTTP_TIMEOUT) as response:
                return _bounded(response, response.headers.get("content-length"), uri)
        except (urllib.error.URLError, OSError) as error:
            raise StoreError(
                f"cannot read the service index {uri}: {_reason(error)}",
                "check the network and --service-index",
            ) from None
    raise InvalidInput(
        f"unsupported service index {uri!r}",
        "use oci://bucket@namespace/path/index.json, file:///path/index.json or an https URL",
    )


def _bounded(stream, length, uri: str) -> bytes:
    if length and int(length) > MAX_INDEX_BYTES:
        raise InvalidInput(f"the service index {uri} is too large ({int(length)} bytes)")
    data = stream.read(MAX_INDEX_BYTES + 1)
    if len(data) > MAX_INDEX_BYTES:
        raise InvalidInput(f"the service index {uri} is larger than {MAX_INDEX_BYTES} bytes")
    return data


def _reason(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    return str(getattr(error, "reason", "") or type(error).__name__)


def parse_index(data: bytes, uri: str) -> list[dict]:
    """The entries of an index document (those with a valid slug), or a clear error."""
    try:
        document = json.loads(data)
    except ValueError as error:
        raise InvalidInput(
            f"the service index {uri} is not valid JSON ({error.msg}, line {error.lineno})",
            "check --service-index: it must name Oracle's index.json",
        ) from None
    packs = document.get("service_packs") if isinstance(document, dict) else None
    if not isinstance(packs, list):
        raise InvalidInput(
            f"the service index {uri} has no list `service_packs`",
            "check --service-index: it must name Oracle's index.json",
        )
    entries = []
    for entry in packs:
        if isinstance(entry, dict) and isinstance(entry.get("slug"), str):
            with contextlib.suppress(PackError):
                validate_slug(entry["slug"])
                entries.append(entry)
    return entries


def service_packs(settings: Settings) -> tuple[str, list[dict]]:
    """(index URI, its entries as rows: the entry's fields plus `pack_uri`)."""
    uri = index_uri(settings)
    rows = []
    for entry in parse_index(read_index_document(uri, settings), uri):
        row = {name: entry.get(name) for name in ROW_FIELDS}
        row.update({k: v for k, v in entry.items() if k != "logo_src"})  # a large data URI
        libraries = entry.get("libraries")
        row["libraries"] = [str(x) for x in libraries] if isinstance(libraries, list) else []
        bucket, namespace = _pack_bucket(uri, entry)
        names = object_names(entry)
        row["pack_uri"] = f"oci://{bucket}@{namespace}/{names[0]}" if names and namespace else ""
        rows.append(row)
    return uri, rows


def _pack_bucket(index: str, entry: dict) -> tuple[str, str]:
    """The bucket and namespace of an entry's object: the index's own when the index is in
    Object Storage (as ADS rewrites `pack_path` to the region's namespace), else those its
    `par` URL names ("" when unknown)."""
    parts = urlsplit(index)
    if parts.scheme == "oci":
        bucket, _, namespace = parts.netloc.partition("@")
        return bucket, namespace
    located = par_location(str(entry.get("par") or ""))
    return (located[1], located[0]) if located else (SERVICE_BUCKET, "")


def find_entry(slug: str, settings: Settings) -> tuple[str, dict, list[dict]]:
    """(index URI, the row of `slug`, all rows), or NotFound naming the known slugs."""
    validate_slug(slug)
    uri, rows = service_packs(settings)
    for row in rows:
        if row["slug"] == slug:
            return uri, row, rows
    known = ", ".join(sorted(r["slug"] for r in rows)[:12]) or "none"
    raise NotFound(
        f"no service pack {slug!r} in {uri} (known: {known})",
        "see `conda-pack-ext list --service`",
    )


# ---- finding the object -----------------------------------------------------------------


def par_location(par: str) -> tuple[str, str, str] | None:
    """(namespace, bucket, object name) of a PAR URL `.../p/<token>/n/<ns>/b/<b>/o/<name>`."""
    segments = urlsplit(par).path.split("/", 7)
    if len(segments) < 8 or segments[1] != "p" or segments[3:7:2] != ["n", "b"]:
        return None
    return segments[4], segments[6], unquote(segments[7].partition("/")[2])


def object_names(entry: dict) -> list[str]:
    """The names the pack's object may have, best first: as the `par` URL shows it (the
    name as stored), then `path`, then `pack_path`'s object part."""
    names = []
    located = par_location(str(entry.get("par") or ""))
    if located and located[2]:
        names.append(located[2])
    if entry.get("path"):
        names.append(str(entry["path"]).strip("/"))
    pack_path = str(entry.get("pack_path") or "")
    if pack_path.startswith("oci://"):
        names.append(urlsplit(pack_path).path.strip("/"))
    return list(dict.fromkeys(n for n in names if n))


@dataclass
class ParSource:
    """A pack read through its pre-authenticated URL (install.PackSource)."""

    uri: str
    par: str
    size: int | None
    slug: str | None
    sha256: str | None = None
    filename: str = ""

    @contextlib.contextmanager
    def open(self):
        try:
            response = urllib.request.urlopen(self.par, timeout=HTTP_TIMEOUT)
        except (urllib.error.URLError, OSError) as error:
            raise StoreError(f"cannot download {self.uri}: {_reason(error)}") from None
        with response:
            yield response


def source_for_entry(row: dict, index: str, settings: Settings):
    """A PackSource for a service pack: its object through the authenticated client under
    each name it may have, else its `par` URL. Names every attempt when none works."""
    from .publish import StorePackSource
    from .stores.oci_store import OciStore

    slug = row["slug"]
    bucket, namespace = _pack_bucket(index, row)
    failures = []
    if namespace:
        store = OciStore(f"oci://{bucket}@{namespace}", settings)
        for name in object_names(row):
            try:
                info = store.head(name)
            except PackError as error:
                failures.append(f"{store.object_uri(name)}: {error.message}")
                continue
            if info is None:
                failures.append(f"{store.object_uri(name)}: no such object")
                continue
            return StorePackSource(
                store=store, key=name, uri=store.object_uri(name), size=info.size,
                sha256=None, slug=slug, manifest=info.manifest, filename=f"{slug}.tar.gz",
            )  # fmt: skip
    if row.get("par"):
        par = str(row["par"])
        try:
            request = urllib.request.Request(par, method="HEAD")
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
                size = response.headers.get("content-length")
            return ParSource(
                uri=row.get("pack_uri") or par, par=par, size=int(size) if size else None,
                slug=slug, filename=f"{slug}.tar.gz",
            )  # fmt: skip
        except (urllib.error.URLError, OSError, ValueError) as error:
            failures.append(f"its par URL: {_reason(error)}")
    raise NotFound(
        f"cannot find the object of service pack {slug!r}: " + "; ".join(failures or ["none"]),
        "check that your auth may read Oracle's service bucket (in notebook sessions the "
        "resource principal), or that the index is current",
    )


def source_for_service_slug(slug: str, settings: Settings):
    """The PackSource of service pack `slug` of the user's region (install --service)."""
    index, row, _ = find_entry(slug, settings)
    return source_for_entry(row, index, settings)
