"""The test suite's Object Storage server answers the real `oci` SDK as the service does."""

from __future__ import annotations

import base64
import hashlib
import os
import time
import urllib.error
import urllib.request

import oci
import pytest


@pytest.fixture
def client(object_storage, oci_config_file):
    config = oci.config.from_file(str(oci_config_file))
    return oci.object_storage.ObjectStorageClient(
        config,
        service_endpoint=object_storage.endpoint,
        retry_strategy=oci.retry.NoneRetryStrategy(),
        circuit_breaker_strategy=oci.circuit_breaker.NoCircuitBreakerStrategy(),
    )


def md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_namespace_objects_metadata_and_ranges(client):
    assert client.get_namespace().data == "testns"
    data = os.urandom(100_000)
    client.put_object("testns", "packs", "a/b/c", data, opc_meta={"manifest": '{"x": 1}'})
    head = client.head_object("testns", "packs", "a/b/c")
    assert head.headers["opc-meta-manifest"] == '{"x": 1}'
    assert int(head.headers["content-length"]) == len(data)
    assert client.get_object("testns", "packs", "a/b/c").data.content == data
    part = client.get_object("testns", "packs", "a/b/c", range="bytes=10-19")
    assert part.status == 206 and part.data.content == data[10:20]
    client.delete_object("testns", "packs", "a/b/c")
    with pytest.raises(oci.exceptions.ServiceError) as missing:
        client.head_object("testns", "packs", "a/b/c")
    assert missing.value.status == 404


def test_listing_pages(client):
    for number in range(7):
        client.put_object("testns", "packs", f"p/{number}", b"x")
    client.put_object("testns", "packs", "other", b"x")
    names, start = [], None
    while True:
        kwargs = {"prefix": "p/", "limit": 3, "fields": "name,size"}
        if start:
            kwargs["start"] = start
        page = client.list_objects("testns", "packs", **kwargs).data
        assert len(page.objects) <= 3
        names += [o.name for o in page.objects]
        assert all(o.size == 1 for o in page.objects)
        start = page.next_start_with
        if not start:
            break
    assert names == [f"p/{n}" for n in range(7)]


def test_conditional_writes(client):
    first = client.put_object("testns", "packs", "index.json", b"1", if_none_match="*")
    with pytest.raises(oci.exceptions.ServiceError) as exists:
        client.put_object("testns", "packs", "index.json", b"2", if_none_match="*")
    assert exists.value.status == 412
    with pytest.raises(oci.exceptions.ServiceError) as stale:
        client.put_object("testns", "packs", "index.json", b"2", if_match="not-the-etag")
    assert stale.value.status == 412
    client.put_object("testns", "packs", "index.json", b"3", if_match=first.headers["etag"])
    assert client.get_object("testns", "packs", "index.json").data.content == b"3"


def test_multipart_upload_commit_abort_and_md5(client, object_storage):
    models = oci.object_storage.models
    details = models.CreateMultipartUploadDetails(
        object="big", metadata={"opc-meta-manifest": "{}"}
    )
    upload = client.create_multipart_upload("testns", "packs", details).data
    parts = [os.urandom(1000), os.urandom(500)]
    etags = []
    for number, data in enumerate(parts, 1):
        response = client.upload_part(
            "testns", "packs", "big", upload.upload_id, number, data, content_md5=md5(data)
        )
        assert response.headers["opc-content-md5"] == md5(data)
        etags.append(response.headers["etag"])
    with pytest.raises(oci.exceptions.ServiceError) as bad_md5:
        client.upload_part(
            "testns", "packs", "big", upload.upload_id, 3, b"abc", content_md5=md5(b"xyz")
        )
    assert bad_md5.value.status == 400
    assert [u.object for u in client.list_multipart_uploads("testns", "packs").data] == ["big"]
    commit = models.CommitMultipartUploadDetails(
        parts_to_commit=[
            models.CommitMultipartUploadPartDetails(part_num=n, etag=e)
            for n, e in enumerate(etags, 1)
        ]
    )
    response = client.commit_multipart_upload("testns", "packs", "big", upload.upload_id, commit)
    assert response.headers["opc-multipart-md5"].endswith("-2")
    assert object_storage.object_bytes("packs", "big") == b"".join(parts)
    assert object_storage.object_metadata("packs", "big") == {"opc-meta-manifest": "{}"}

    second = client.create_multipart_upload(
        "testns", "packs", models.CreateMultipartUploadDetails(object="gone")
    ).data
    client.upload_part("testns", "packs", "gone", second.upload_id, 1, b"data")
    client.abort_multipart_upload("testns", "packs", "gone", second.upload_id)
    assert object_storage.pending_uploads() == []
    assert "gone" not in object_storage.object_names("packs")


def test_unknown_bucket_and_namespace(client):
    with pytest.raises(oci.exceptions.ServiceError) as bucket:
        client.list_objects("testns", "nope")
    assert (bucket.value.status, bucket.value.code) == (404, "BucketNotFound")
    with pytest.raises(oci.exceptions.ServiceError) as namespace:
        client.list_objects("otherns", "packs")
    assert (namespace.value.status, namespace.value.code) == (404, "NamespaceNotFound")


def test_unsigned_requests_are_refused(object_storage):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{object_storage.endpoint}/n/testns/b/packs/o")
    assert refused.value.code == 401


def test_injected_faults(client, object_storage):
    data = os.urandom(300_000)
    client.put_object("testns", "packs", "blob", data)
    object_storage.add_fault("status", "get_object", status=503)
    with pytest.raises(oci.exceptions.ServiceError) as unavailable:
        client.get_object("testns", "packs", "blob")
    assert unavailable.value.status == 503
    object_storage.add_fault("corrupt", "get_object")
    assert client.get_object("testns", "packs", "blob").data.content != data
    object_storage.add_fault("truncate", "get_object")
    with pytest.raises(Exception):  # noqa: B017 - the SDK's transport raises its own kinds
        response = client.get_object("testns", "packs", "blob")
        assert len(response.data.content) == len(data)
    object_storage.add_fault("drop", "head_object")
    with pytest.raises(Exception):  # noqa: B017
        client.head_object("testns", "packs", "blob")
    assert client.get_object("testns", "packs", "blob").data.content == data


def test_bandwidth_throttle(client, object_storage):
    object_storage.bandwidth = 2e6  # 2 MB/s per connection
    data = os.urandom(1_000_000)
    started = time.monotonic()
    client.put_object("testns", "packs", "slow", data)
    assert time.monotonic() - started >= 0.4
