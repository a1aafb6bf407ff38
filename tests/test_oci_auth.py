"""The four auth modes build real SDK signers and sign requests that reach the loopback
Object Storage server; instance principals get their certificate from a fake metadata
service and their token from a fake federation endpoint, both on loopback. Errors and
outputs never contain key material or tokens."""

from __future__ import annotations

import asyncio
import datetime
import json
import stat
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from conda_pack_ext.cli import main
from conda_pack_ext.errors import AuthError
from conda_pack_ext.jobs import default_history_path
from conda_pack_ext.stores import open_store
from tests.support.secrets import assert_no_secret, secret_files

TENANCY = "ocid1.tenancy.oc1..aaaaaaaafaketenancy"


def session_token(key_pem: bytes, subject: str) -> str:
    """A JWT shaped like OCI's session tokens (the SDK reads `exp`; nobody verifies it)."""
    now = int(time.time())
    key = serialization.load_pem_private_key(key_pem, None)
    claims = {
        "sub": subject,
        "iat": now,
        "exp": now + 3600,
        "res_tenant": TENANCY,
        "tenant": TENANCY,
    }
    return jwt.encode(claims, key, algorithm="RS256")


def key_ids(object_storage) -> list[str]:
    return [r["key_id"] for r in object_storage.requests if r.get("key_id")]


def test_api_key(oci_settings, object_storage):
    settings = oci_settings()
    open_store(settings.store_uri, settings).read_index()
    assert key_ids(object_storage) == [
        "ocid1.tenancy.oc1..aaaaaaaatesttenancy/ocid1.user.oc1..aaaaaaaatestuser/"
        "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99"
    ]


def test_security_token(oci_settings, object_storage, tmp_path, throwaway_rsa_key_pem):
    token = session_token(throwaway_rsa_key_pem, "ocid1.user.oc1..session")
    token_file = tmp_path / "token"
    token_file.write_text(token)
    key = tmp_path / "session-key.pem"
    key.write_bytes(throwaway_rsa_key_pem)
    config = tmp_path / "session-config"
    config.write_text(
        "[SESSION]\n"
        "fingerprint=11:22:33:44:55:66:77:88:99:00:aa:bb:cc:dd:ee:ff\n"
        f"tenancy={TENANCY}\nregion=us-ashburn-1\n"
        f"key_file={key}\nsecurity_token_file={token_file}\n"
    )
    settings = oci_settings(auth="security_token", oci_config=str(config), oci_profile="SESSION")
    open_store(settings.store_uri, settings).read_index()
    assert key_ids(object_storage) == [f"ST${token}"]


def test_resource_principal(oci_settings, object_storage, monkeypatch, throwaway_rsa_key_pem):
    token = session_token(throwaway_rsa_key_pem, "ocid1.datasciencenotebooksession.oc1..x")
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_RPST", token)
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", throwaway_rsa_key_pem.decode())
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_REGION", "us-ashburn-1")
    settings = oci_settings(auth="resource_principal")
    open_store(settings.store_uri, settings).read_index()
    assert key_ids(object_storage) == [f"ST${token}"]


def test_resource_principal_outside_oci_is_a_clear_error(oci_settings, monkeypatch):
    monkeypatch.delenv("OCI_RESOURCE_PRINCIPAL_VERSION", raising=False)
    settings = oci_settings(auth="resource_principal")
    with pytest.raises(AuthError, match="resource principal auth is not available here"):
        open_store(settings.store_uri, settings).read_index()


def _certificate(subject_key, issuer_key, org_unit: str, issuer: str) -> bytes:
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "fake instance"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, org_unit),
        ]
    )
    issuer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(issuer_key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def fake_instance(throwaway_rsa_key_pem):
    """A loopback metadata service (region, leaf and intermediate certificates) and an
    auth service federation endpoint that hands out a session token."""
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    files = {
        "/opc/v2/instance/region": b"iad",
        "/opc/v2/identity/cert.pem": _certificate(
            leaf_key, leaf_key, f"opc-tenant:{TENANCY}", "fake intermediate"
        ),
        "/opc/v2/identity/key.pem": leaf_pem,
        "/opc/v2/identity/intermediate.pem": _certificate(
            leaf_key, leaf_key, "opc-root", "fake root"
        ),
    }
    token = session_token(throwaway_rsa_key_pem, "ocid1.instance.oc1..fake")
    federation_calls = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = files.get(self.path)
            if body is None or self.headers.get("Authorization") != "Bearer Oracle":
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            federation_calls.append(payload)
            body = json.dumps({"token": token}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield {"base": base, "token": token, "federation_calls": federation_calls}
    server.shutdown()
    server.server_close()


def test_instance_principal(oci_settings, object_storage, monkeypatch, fake_instance):
    monkeypatch.setenv("OCI_METADATA_BASE_URL", f"{fake_instance['base']}/opc/v2")
    monkeypatch.setenv("OCI_FEDERATION_ENDPOINT", f"{fake_instance['base']}/v1/x509")
    settings = oci_settings(auth="instance_principal")
    open_store(settings.store_uri, settings).read_index()
    assert key_ids(object_storage) == [f"ST${fake_instance['token']}"]
    assert "certificate" in fake_instance["federation_calls"][0]


def test_instance_principal_without_metadata_service(oci_settings, monkeypatch, fast_retries):
    monkeypatch.setenv("OCI_METADATA_BASE_URL", "http://127.0.0.1:9/opc/v2")
    settings = oci_settings(auth="instance_principal")
    with pytest.raises(AuthError, match="instance principal auth failed"):
        open_store(settings.store_uri, settings).read_index()


def test_no_secret_in_outputs(
    oci_settings,
    object_storage,
    oci_config_file,
    tmp_path,
    capsys,
    throwaway_rsa_key_pem,
    monkeypatch,
):
    """Failures under every mode print paths and mode names, never keys or tokens."""
    token = session_token(throwaway_rsa_key_pem, "ocid1.user.oc1..leak-check")
    secrets = [token, throwaway_rsa_key_pem.decode().splitlines()[1]]
    object_storage.auth_status = 401
    common = [
        "-p",
        "oci://packs@testns/conda",
        "--os-endpoint",
        object_storage.endpoint,
        "--oci-config",
        str(oci_config_file),
    ]
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_RPST", token)
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", throwaway_rsa_key_pem.decode())
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_REGION", "us-ashburn-1")
    outputs = []
    for mode in ("api_key", "resource_principal"):
        assert main(["unpublish", "-s", "nothing", "-a", mode, *common]) == 1
        assert main(["unpublish", "-s", "nothing", "-a", mode, "--json", *common]) == 1
        captured = capsys.readouterr()
        outputs.append(captured.out + captured.err)
    assert "api_key (profile 'DEFAULT'" in outputs[0]
    assert "resource_principal" in outputs[1]
    # a broken key file: the error names the file, not its content
    bad_key = tmp_path / "bad.pem"
    bad_key.write_text(throwaway_rsa_key_pem.decode()[:200])
    oci_config_file.write_text(
        oci_config_file.read_text().replace("key_file=", "#") + f"key_file={bad_key}\n"
    )
    assert main(["unpublish", "-s", "nothing", "-a", "api_key", *common]) == 1
    captured = capsys.readouterr()
    outputs.append(captured.out + captured.err)
    assert "not a readable private key" in outputs[-1]
    for output in outputs:
        for secret in secrets:
            assert secret not in output


@pytest.mark.parametrize("kind", ["secret_lines", "secret_profile", "pem_key"])
def test_a_secret_file_given_as_oci_config_is_never_quoted(
    object_storage, tmp_path, capsys, throwaway_rsa_key_pem, kind
):
    path, leaks = secret_files(tmp_path / "secrets", throwaway_rsa_key_pem)[kind]
    argv = ["unpublish", "-s", "nothing", "-a", "api_key", "-p", "oci://packs@testns/conda",
            "--os-endpoint", object_storage.endpoint, "--oci-config", str(path)]  # fmt: skip
    assert main(argv) == 1
    human = capsys.readouterr()
    assert str(path) in human.err and "Traceback" not in human.err
    assert "could not be read" in human.err or "is incomplete" in human.err
    assert main([*argv, "--json"]) == 1
    answer = capsys.readouterr()
    for output in (human.out, human.err, answer.out, answer.err):
        assert_no_secret(output, leaks)
    assert object_storage.requests == []  # nothing was sent anywhere


async def test_a_secret_oci_config_stays_out_of_rest_answers_history_and_server_log(
    jp_fetch, object_storage, tmp_path, throwaway_rsa_key_pem, caplog
):
    files = secret_files(tmp_path / "secrets", throwaway_rsa_key_pem)
    leaks = [leak for _, found in files.values() for leak in found]
    bodies = []
    for path, _ in files.values():
        params = {"slug": "nothing", "auth": "api_key", "oci_config": str(path),
                  "conda_pack_os_prefix": "oci://packs@testns/conda",
                  "os_endpoint": object_storage.endpoint}  # fmt: skip
        response = await jp_fetch("conda-pack-ext", "jobs", method="POST",
                                  body=json.dumps({"kind": "unpublish", "params": params}))  # fmt: skip
        job_id = json.loads(response.body)["id"]
        for _ in range(600):
            response = await jp_fetch("conda-pack-ext", "jobs", job_id)
            job = json.loads(response.body)
            if job["state"] not in ("queued", "running"):
                break
            await asyncio.sleep(0.05)
        assert job["state"] == "failed" and job["error"]["code"] == "auth_error"
        assert str(path) in job["error"]["message"]
        bodies.append(response.body)
    response = await jp_fetch("conda-pack-ext", "jobs")
    bodies.append(response.body)
    for body in bodies:
        assert_no_secret(body, leaks)
    assert_no_secret(caplog.text, leaks)
    history = default_history_path().parent
    assert stat.S_IMODE((history / "jobs.sqlite").stat().st_mode) == 0o600
    for state_file in history.iterdir():
        assert_no_secret(state_file.read_bytes(), leaks)
