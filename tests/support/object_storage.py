"""A small OCI Object Storage server for the test suite, the UI tests and the benchmark.

It implements the REST subset the `oci` SDK uses for packs: the namespace, objects
(put/get/head/delete, Range GETs, `opc-meta-*` metadata, `if-match`/`if-none-match`),
paginated listing, and multipart uploads (create, upload part with Content-MD5 check,
commit, abort, list). Every request must carry an Authorization header (the SDK's
signature; it is not verified), except reads through pre-authenticated request URLs
(`/p/<token>/n/<ns>/b/<bucket>/o/<object>`), whose token is not verified either. Object data lives in files under a temporary folder.

Faults are injected with `add_fault(...)`: answer an operation with a status, drop the
connection, truncate or corrupt a download. `bandwidth` (bytes per second, per
connection) throttles request and response bodies, as a remote link would.

From the command line: `python -m tests.support.object_storage --port 8765
--namespace ns --bucket packs [--bandwidth-mb 50]`.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

CHUNK = 256 * 1024


@dataclass
class StoredObject:
    path: str
    size: int
    etag: str
    md5: str  # base64 MD5 of the data, or the multipart MD5 ("<b64>-<parts>")
    multipart: bool
    metadata: dict  # "opc-meta-<key>" -> value
    time_created: float = field(default_factory=time.time)


@dataclass
class Upload:
    upload_id: str
    namespace: str
    bucket: str
    name: str
    metadata: dict
    if_none_match: str | None
    if_match: str | None
    parts: dict = field(default_factory=dict)  # number -> (path, size, etag, md5 b64)
    time_created: float = field(default_factory=time.time)


@dataclass
class Fault:
    """One injected failure. `operation` names the request (see `_operation`); `part`
    narrows upload_part to one part number; `times` counts how often it fires."""

    action: str  # "status" | "drop" | "truncate" | "corrupt"
    operation: str
    status: int = 503
    part: int | None = None
    name_contains: str = ""
    times: int = 1
    fired: int = 0


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(timestamp))


class ObjectStorageServer(ThreadingHTTPServer):
    """The server plus its state; start with `start()`, stop with `stop()`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0, namespace: str = "testns", bandwidth: float | None = None):
        super().__init__(("127.0.0.1", port), _Handler)
        self.namespace = namespace
        self.bandwidth = bandwidth
        self.lock = threading.RLock()
        self.buckets: dict[tuple[str, str], dict[str, StoredObject]] = {}
        self.uploads: dict[str, Upload] = {}
        self.faults: list[Fault] = []
        self.requests: list[dict] = []  # method, path, query, operation, headers of interest
        self.auth_status: int | None = None  # answer every request with 401/403 when set
        self.root = tempfile.mkdtemp(prefix="object-storage-")
        self._thread: threading.Thread | None = None

    # ---- life cycle -------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> ObjectStorageServer:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        shutil.rmtree(self.root, ignore_errors=True)

    # ---- state helpers for tests ------------------------------------------------------
    def create_bucket(self, bucket: str, namespace: str | None = None) -> None:
        with self.lock:
            self.buckets.setdefault((namespace or self.namespace, bucket), {})

    def add_fault(self, action: str, operation: str, **kwargs) -> Fault:
        fault = Fault(action=action, operation=operation, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def object_names(self, bucket: str, namespace: str | None = None) -> list[str]:
        with self.lock:
            return sorted(self.buckets[(namespace or self.namespace, bucket)])

    def object_bytes(self, bucket: str, name: str, namespace: str | None = None) -> bytes:
        with self.lock:
            stored = self.buckets[(namespace or self.namespace, bucket)][name]
        with open(stored.path, "rb") as data:
            return data.read()

    def object_metadata(self, bucket: str, name: str, namespace: str | None = None) -> dict:
        with self.lock:
            return dict(self.buckets[(namespace or self.namespace, bucket)][name].metadata)

    def put(
        self,
        bucket: str,
        name: str,
        data: bytes,
        metadata: dict | None = None,
        namespace: str | None = None,
    ) -> None:
        """Store an object directly (as another tool would have published it)."""
        path = self._new_data_path()
        with open(path, "wb") as out:
            out.write(data)
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        meta = {f"opc-meta-{k}": v for k, v in (metadata or {}).items()}
        with self.lock:
            self.buckets[(namespace or self.namespace, bucket)][name] = StoredObject(
                path, len(data), str(uuid.uuid4()), md5, False, meta
            )

    def pending_uploads(self) -> list[Upload]:
        with self.lock:
            return list(self.uploads.values())

    def count(self, operation: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r["operation"] == operation)

    def _new_data_path(self) -> str:
        return os.path.join(self.root, uuid.uuid4().hex)

    def take_fault(self, operation: str, name: str, part: int | None) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.fired >= fault.times or fault.operation != operation:
                    continue
                if fault.part is not None and fault.part != part:
                    continue
                if fault.name_contains not in name:
                    continue
                fault.fired += 1
                return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ObjectStorageServer

    def log_message(self, format, *args):  # noqa: A002 - quiet; tests read server.requests
        pass

    # ---- throttled I/O ----------------------------------------------------------------
    def _pace(self, started: float, sent: int) -> None:
        if self.server.bandwidth:
            ahead = sent / self.server.bandwidth - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)

    def _read_body_to(self, sink) -> int:
        """Copy the request body into `sink(chunk)`; returns its size."""
        started, total = time.monotonic(), 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return total
                chunk = self.rfile.read(size)
                self.rfile.readline()
                sink(chunk)
                total += len(chunk)
                self._pace(started, total)
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining:
            chunk = self.rfile.read(min(CHUNK, remaining))
            if not chunk:
                raise ConnectionError("client closed the connection mid-body")
            sink(chunk)
            remaining -= len(chunk)
            total += len(chunk)
            self._pace(started, total)
        return total

    def _read_json(self) -> dict:
        parts: list[bytes] = []
        self._read_body_to(parts.append)
        return json.loads(b"".join(parts) or b"{}")

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("opc-request-id", uuid.uuid4().hex)
        if body or "Content-Length" not in headers:
            headers["Content-Length"] = str(len(body))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data, headers: dict | None = None) -> None:
        headers = dict(headers or {})
        headers["Content-Type"] = "application/json"
        self._send(status, json.dumps(data).encode(), headers)

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"code": code, "message": message})

    # ---- routing ----------------------------------------------------------------------
    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        # a pre-authenticated request: /p/<token>/n/..., read-only and without a signature
        par = url.path.startswith("/p/") and self.command in ("GET", "HEAD")
        path = "/" + url.path.split("/", 3)[3] if par and url.path.count("/") > 3 else url.path
        segments = path.split("/", 6)  # '', 'n', ns, 'b', bucket, 'o'|'u', name
        name = unquote(segments[6]) if len(segments) > 6 else ""
        operation = _operation(self.command, segments, query)
        part = int(query["uploadPartNum"]) if "uploadPartNum" in query else None
        with self.server.lock:
            self.server.requests.append(
                {
                    "method": self.command,
                    "path": url.path,
                    "query": query,
                    "operation": operation,
                    "name": name,
                    "content_md5": self.headers.get("Content-MD5"),
                    "if_match": self.headers.get("if-match"),
                    "if_none_match": self.headers.get("if-none-match"),
                    "key_id": _key_id(self.headers.get("Authorization", "")),
                }
            )
        if not self.headers.get("Authorization") and not par:
            self._drain()
            return self._error(
                401,
                "NotAuthenticated",
                "The required information to complete authentication was not provided.",
            )
        if self.server.auth_status and not par:
            self._drain()
            status = self.server.auth_status
            code = "NotAuthenticated" if status == 401 else "NotAuthorizedOrNotFound"
            return self._error(
                status, code, "Authorization failed or requested resource not found."
            )
        fault = self.server.take_fault(operation, name, part)
        if fault and fault.action == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)
            return
        if fault and fault.action == "status":
            self._drain()
            return self._error(
                fault.status,
                "ServiceUnavailable" if fault.status == 503 else "InternalError",
                "injected failure",
            )
        if operation == "get_namespace":
            return self._json(200, self.server.namespace)
        namespace, bucket = segments[2], segments[4] if len(segments) > 4 else ""
        with self.server.lock:
            objects = self.server.buckets.get((namespace, bucket))
        if objects is None:
            self._drain()
            if not any(ns == namespace for ns, _ in self.server.buckets):
                return self._error(
                    404,
                    "NamespaceNotFound",
                    f"You do not have authorization to perform this request, "
                    f"or the requested namespace '{namespace}' does not exist.",
                )
            return self._error(
                404,
                "BucketNotFound",
                f"Either the bucket named '{bucket}' does not exist in the "
                f"namespace '{namespace}' or you are not authorized to access it",
            )
        handler = getattr(self, f"_op_{operation}", None)
        if handler is None:
            self._drain()
            return self._error(400, "InvalidParameter", f"unsupported request {self.command}")
        return handler(objects, namespace, bucket, name, query, fault)

    def _drain(self) -> None:
        with contextlib.suppress(Exception):
            self._read_body_to(lambda chunk: None)

    # ---- conditions -------------------------------------------------------------------
    def _precondition_failed(self, existing: StoredObject | None) -> bool:
        if_match = self.headers.get("if-match")
        if_none_match = self.headers.get("if-none-match")
        return _condition_fails(existing, if_match, if_none_match)

    # ---- objects ----------------------------------------------------------------------
    def _object_headers(self, stored: StoredObject) -> dict:
        headers = {
            "etag": stored.etag,
            "last-modified": formatdate(stored.time_created, usegmt=True),
            "accept-ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        headers["opc-multipart-md5" if stored.multipart else "Content-MD5"] = stored.md5
        headers.update(stored.metadata)
        return headers

    def _store_body(self):
        """Write the request body to a new data file; returns (path, size, base64 MD5),
        or None after answering 400 when it does not match its Content-MD5 header."""
        path = self.server._new_data_path()
        digest = hashlib.md5()
        with open(path, "wb") as out:

            def sink(chunk):
                digest.update(chunk)
                out.write(chunk)

            size = self._read_body_to(sink)
        md5 = base64.b64encode(digest.digest()).decode()
        expected = self.headers.get("Content-MD5")
        if expected and expected != md5:
            os.unlink(path)
            self._error(
                400,
                "InvalidContentMD5",
                "The computed MD5 of the request body does not match the Content-MD5 header",
            )
            return None
        return path, size, md5

    def _op_put_object(self, objects, namespace, bucket, name, query, fault):
        stored = self._store_body()
        if stored is None:
            return
        path, size, md5 = stored
        metadata = {
            k.lower(): v for k, v in self.headers.items() if k.lower().startswith("opc-meta-")
        }
        with self.server.lock:
            if self._precondition_failed(objects.get(name)):
                os.unlink(path)
                return self._error(
                    412, "IfMatchFailed", "The If-Match or If-None-Match precondition failed"
                )
            stored = StoredObject(path, size, str(uuid.uuid4()), md5, False, metadata)
            _replace(objects, name, stored)
        self._send(
            200,
            headers={
                "etag": stored.etag,
                "opc-content-md5": md5,
                "last-modified": formatdate(stored.time_created, usegmt=True),
            },
        )

    def _op_head_object(self, objects, namespace, bucket, name, query, fault):
        with self.server.lock:
            stored = objects.get(name)
        if stored is None:
            return self._send(404, headers={"Content-Length": "0"})
        headers = self._object_headers(stored)
        headers["Content-Length"] = str(stored.size)
        self._send(200, headers=headers)

    def _op_get_object(self, objects, namespace, bucket, name, query, fault):
        with self.server.lock:
            stored = objects.get(name)
            # opened under the lock: a concurrent overwrite unlinks the file, not this handle
            data = open(stored.path, "rb") if stored else None  # noqa: SIM115
        with contextlib.ExitStack() as stack:
            if data:
                stack.enter_context(data)
            self._send_object(stored, data, bucket, name, fault)

    def _send_object(self, stored, data, bucket, name, fault):
        if stored is None:
            return self._error(
                404, "ObjectNotFound", f"The object '{name}' was not found in the bucket '{bucket}'"
            )
        if self._precondition_failed(stored):
            return self._error(412, "IfMatchFailed", "precondition failed")
        start, end, status = 0, stored.size - 1, 200
        headers = self._object_headers(stored)
        range_header = self.headers.get("Range")
        if range_header and range_header.startswith("bytes="):
            first, _, last = range_header[6:].partition("-")
            if first:
                start, end = (
                    int(first),
                    min(int(last), stored.size - 1) if last else stored.size - 1,
                )
            else:
                start = max(0, stored.size - int(last))
            if start > end:
                return self._error(416, "InvalidRange", "The requested range is not satisfiable")
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{stored.size}"
        length = end - start + 1
        headers["Content-Length"] = str(length)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        limit = length // 2 if fault and fault.action == "truncate" else length
        started, sent = time.monotonic(), 0
        data.seek(start)
        while sent < limit:
            chunk = data.read(min(CHUNK, limit - sent))
            if not chunk:
                break
            if fault and fault.action == "corrupt" and sent == 0:
                chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
            self.wfile.write(chunk)
            sent += len(chunk)
            self._pace(started, sent)
        if sent < length:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.wfile.flush()
                self.connection.shutdown(2)

    def _op_delete_object(self, objects, namespace, bucket, name, query, fault):
        with self.server.lock:
            stored = objects.get(name)
            if stored is None:
                return self._error(404, "ObjectNotFound", f"The object '{name}' was not found")
            if self._precondition_failed(stored):
                return self._error(412, "IfMatchFailed", "precondition failed")
            del objects[name]
        with contextlib.suppress(OSError):
            os.unlink(stored.path)
        self._send(204)

    def _op_list_objects(self, objects, namespace, bucket, name, query, fault):
        prefix = query.get("prefix", "")
        start = query.get("start", "")
        end = query.get("end")
        limit = min(int(query.get("limit", 1000)), 1000)
        fields = set((query.get("fields") or "name").split(","))
        with self.server.lock:
            names = sorted(
                n
                for n in objects
                if n.startswith(prefix) and n >= start and (end is None or n < end)
            )
            page = [(n, objects[n]) for n in names[:limit]]
        result = []
        for object_name, stored in page:
            entry = {"name": object_name}
            if "size" in fields:
                entry["size"] = stored.size
            if "md5" in fields:
                entry["md5"] = stored.md5
            if "etag" in fields:
                entry["etag"] = stored.etag
            if "timeCreated" in fields:
                entry["timeCreated"] = _iso(stored.time_created)
            if "timeModified" in fields:
                entry["timeModified"] = _iso(stored.time_created)
            result.append(entry)
        body = {"objects": result, "prefixes": []}
        if len(names) > limit:
            body["nextStartWith"] = names[limit]
        self._json(200, body)

    # ---- multipart --------------------------------------------------------------------
    def _op_create_multipart_upload(self, objects, namespace, bucket, name, query, fault):
        details = self._read_json()
        object_name = details.get("object", "")
        with self.server.lock:
            if self._precondition_failed(objects.get(object_name)):
                return self._error(412, "IfMatchFailed", "precondition failed")
            upload = Upload(
                upload_id=str(uuid.uuid4()),
                namespace=namespace,
                bucket=bucket,
                name=object_name,
                metadata={k.lower(): v for k, v in (details.get("metadata") or {}).items()},
                if_none_match=self.headers.get("if-none-match"),
                if_match=self.headers.get("if-match"),
            )
            self.server.uploads[upload.upload_id] = upload
        self._json(200, _upload_json(upload))

    def _upload_for(self, query, name) -> Upload | None:
        with self.server.lock:
            upload = self.server.uploads.get(query.get("uploadId", ""))
        if upload is None or upload.name != name:
            self._drain()
            self._error(404, "NoSuchUpload", "The upload does not exist")
            return None
        return upload

    def _op_upload_part(self, objects, namespace, bucket, name, query, fault):
        upload = self._upload_for(query, name)
        if upload is None:
            return
        number = int(query["uploadPartNum"])
        stored = self._store_body()
        if stored is None:
            return
        path, size, md5 = stored
        etag = str(uuid.uuid4())
        with self.server.lock:
            old = upload.parts.get(number)
            upload.parts[number] = (path, size, etag, md5)
        if old:
            with contextlib.suppress(OSError):
                os.unlink(old[0])
        self._send(200, headers={"etag": etag, "opc-content-md5": md5})

    def _op_commit_multipart_upload(self, objects, namespace, bucket, name, query, fault):
        upload = self._upload_for(query, name)
        if upload is None:
            return
        details = self._read_json()
        wanted = sorted(details.get("partsToCommit", []), key=lambda p: p["partNum"])
        with self.server.lock:
            parts = []
            for item in wanted:
                part = upload.parts.get(item["partNum"])
                if part is None or part[2] != item["etag"]:
                    return self._error(
                        400,
                        "InvalidParameter",
                        f"part {item['partNum']} is missing or its etag differs",
                    )
                parts.append(part)
        path = self.server._new_data_path()
        digests = b""
        with open(path, "wb") as out:
            for part_path, size, _etag, md5 in parts:
                with open(part_path, "rb") as data:
                    _copy_part(data, out, size)
                digests += base64.b64decode(md5)
        multipart_md5 = f"{base64.b64encode(hashlib.md5(digests).digest()).decode()}-{len(parts)}"
        with self.server.lock:
            failed = self._precondition_failed(objects.get(name)) or _condition_fails(
                objects.get(name), upload.if_match, upload.if_none_match
            )
            if failed:
                os.unlink(path)
                return self._error(412, "IfMatchFailed", "precondition failed")
            stored = StoredObject(
                path,
                sum(p[1] for p in parts),
                str(uuid.uuid4()),
                multipart_md5,
                True,
                upload.metadata,
            )
            _replace(objects, name, stored)
            del self.server.uploads[upload.upload_id]
        _remove_parts(upload)
        self._send(
            200,
            headers={
                "etag": stored.etag,
                "opc-multipart-md5": multipart_md5,
                "last-modified": formatdate(stored.time_created, usegmt=True),
            },
        )

    def _op_abort_multipart_upload(self, objects, namespace, bucket, name, query, fault):
        upload = self._upload_for(query, name)
        if upload is None:
            return
        with self.server.lock:
            self.server.uploads.pop(upload.upload_id, None)
        _remove_parts(upload)
        self._send(204)

    def _op_list_multipart_uploads(self, objects, namespace, bucket, name, query, fault):
        with self.server.lock:
            uploads = [
                u
                for u in self.server.uploads.values()
                if u.namespace == namespace and u.bucket == bucket
            ]
        self._json(200, [_upload_json(u) for u in uploads])


def _operation(method: str, segments: list[str], query: dict) -> str:
    """The SDK operation a request stands for, from its method and path."""
    if len(segments) <= 3 and segments[1:2] == ["n"] and method == "GET":
        return "get_namespace"
    kind = segments[5] if len(segments) > 5 else ""
    has_name = len(segments) > 6 and segments[6] != ""
    if kind == "o":
        if not has_name:
            return "list_objects" if method == "GET" else "unknown"
        return {
            "PUT": "put_object",
            "GET": "get_object",
            "HEAD": "head_object",
            "DELETE": "delete_object",
        }.get(method, "unknown")
    if kind == "u":
        if not has_name:
            return {"POST": "create_multipart_upload", "GET": "list_multipart_uploads"}.get(
                method, "unknown"
            )
        if method == "PUT":
            return "upload_part"
        return {"POST": "commit_multipart_upload", "DELETE": "abort_multipart_upload"}.get(
            method, "unknown"
        )
    return "unknown"


def _key_id(authorization: str) -> str:
    """The keyId of a request signature: who signed it (API key, session token...)."""
    marker = 'keyId="'
    if marker not in authorization:
        return ""
    return authorization.split(marker, 1)[1].split('"', 1)[0]


def _condition_fails(existing, if_match, if_none_match) -> bool:
    if if_none_match == "*" and existing is not None:
        return True
    if if_match and (existing is None or existing.etag != if_match):
        return True
    return False


def _replace(objects: dict, name: str, stored: StoredObject) -> None:
    old = objects.get(name)
    objects[name] = stored
    if old:
        with contextlib.suppress(OSError):
            os.unlink(old.path)


def _copy_part(data, out, size: int) -> None:
    """Append a part to the object: in the kernel where it can (a commit of a pack of
    gigabytes is then quick, as Object Storage's is), else through Python."""
    start = out.tell()
    copied = 0
    try:
        while copied < size:
            count = os.copy_file_range(data.fileno(), out.fileno(), size - copied)
            if not count:
                break
            copied += count
    except (AttributeError, OSError):
        pass
    if copied == size:
        return
    out.truncate(start)
    out.seek(start)
    data.seek(0)
    shutil.copyfileobj(data, out, CHUNK)


def _remove_parts(upload: Upload) -> None:
    for part_path, *_ in upload.parts.values():
        with contextlib.suppress(OSError):
            os.unlink(part_path)


def _upload_json(upload: Upload) -> dict:
    return {
        "namespace": upload.namespace,
        "bucket": upload.bucket,
        "object": upload.name,
        "uploadId": upload.upload_id,
        "timeCreated": _iso(upload.time_created),
        "storageTier": "Standard",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="a local OCI Object Storage server for tests")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--namespace", default="testns")
    parser.add_argument("--bucket", action="append", default=[], help="bucket to create")
    parser.add_argument("--bandwidth-mb", type=float, help="per-connection MB/s throttle")
    args = parser.parse_args(argv)
    bandwidth = args.bandwidth_mb * 1e6 if args.bandwidth_mb else None
    server = ObjectStorageServer(args.port, args.namespace, bandwidth)
    for bucket in args.bucket or ["packs"]:
        server.create_bucket(bucket)
    # terminate() (the benchmarks' way to stop it) ends it as Ctrl-C does: its data goes
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(f"object storage on {server.endpoint} namespace={args.namespace}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        shutil.rmtree(server.root, ignore_errors=True)


def throwaway_key_pem() -> bytes:
    """A fresh RSA private key (PEM) that signs requests to loopback fakes only."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def write_oci_config(folder: Path, key_pem: bytes) -> Path:
    """An OCI config file with profile DEFAULT (API key, us-ashburn-1) in `folder`."""
    folder.mkdir(parents=True)
    key = folder / "key.pem"
    key.write_bytes(key_pem)
    key.chmod(0o600)
    config = folder / "config"
    config.write_text(
        "[DEFAULT]\n"
        "user=ocid1.user.oc1..aaaaaaaatestuser\n"
        "fingerprint=aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99\n"
        "tenancy=ocid1.tenancy.oc1..aaaaaaaatesttenancy\n"
        "region=us-ashburn-1\n"
        f"key_file={key}\n"
    )
    return config


if __name__ == "__main__":
    main()


# ---- pytest fixtures (registered as a plugin by tests/conftest.py) ------------------------

try:
    import pytest
except ImportError:  # the command-line server needs no pytest
    pytest = None

if pytest is not None:

    @pytest.fixture
    def object_storage():
        """A running server with the namespace `testns` and the bucket `packs`."""
        server = ObjectStorageServer().start()
        server.create_bucket("packs")
        yield server
        server.stop()

    @pytest.fixture(scope="session")
    def throwaway_rsa_key_pem() -> bytes:
        """A fresh RSA private key (PEM) that signs requests to loopback fakes only."""
        return throwaway_key_pem()

    @pytest.fixture
    def oci_config_file(tmp_path, throwaway_rsa_key_pem):
        """An OCI config file with profile DEFAULT (API key) for the loopback server."""
        return write_oci_config(tmp_path / "oci", throwaway_rsa_key_pem)

    @pytest.fixture
    def fast_retries(monkeypatch):
        """Retries with waits of milliseconds, so failure tests take no time."""
        from conda_pack_ext.stores import oci_auth

        policy = oci_auth.RetryPolicy(
            attempts=3, base_seconds=0.01, max_wait_seconds=0.05, total_seconds=20
        )
        monkeypatch.setattr(oci_auth, "RETRY", policy)
        return policy

    @pytest.fixture
    def oci_settings(object_storage, oci_config_file, tmp_path, fast_retries):
        """Settings that publish to oci://packs@testns/conda on the loopback server."""
        from conda_pack_ext.settings import load_settings

        def make(**overrides):
            values = {
                "conda_pack_os_prefix": "oci://packs@testns/conda",
                "os_endpoint": object_storage.endpoint,
                "oci_config": str(oci_config_file),
                "auth": "api_key",
                "conda_pack_folder": str(tmp_path / "conda"),
            }
            values.update(overrides)
            return load_settings(**values)

        return make
