"""Inside an OCI notebook session (simulated: the session's variables and an offline
resource principal): the resource principal is the default auth, the pack folder is
/home/datascience/conda, installed envs are left to the session's nb_conda_kernels (no
second kernelspec) and carry the manifest the Environment Explorer reads."""

from __future__ import annotations

import yaml

from conda_pack_ext import kernels
from conda_pack_ext.settings import load_settings
from tests.support.cli import cli_json
from tests.support.service_bucket import (
    service_bucket_fixture,  # noqa: F401
    service_pack_files_fixture,  # noqa: F401
)
from tests.test_oci_auth import session_token
from tests.test_service_packs import CPU_SLUG

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaasessioncompartment"


def enter_session(monkeypatch, key_pem: bytes, envs_folder) -> str:
    token = session_token(key_pem, "ocid1.datasciencenotebooksession.oc1..session")
    monkeypatch.setenv("NB_SESSION_OCID", "ocid1.datasciencenotebooksession.oc1..session")
    monkeypatch.setenv("NB_SESSION_COMPARTMENT_OCID", COMPARTMENT)
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_RPST", token)
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", key_pem.decode())
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_REGION", "us-ashburn-1")
    monkeypatch.setenv("CONDA_ENVS_PATH", str(envs_folder))  # the session's conda scans it
    return token


def test_session_defaults(monkeypatch, throwaway_rsa_key_pem, tmp_path):
    enter_session(monkeypatch, throwaway_rsa_key_pem, tmp_path / "conda")
    settings = load_settings()
    assert settings.auth_mode == "resource_principal"
    assert str(settings.pack_folder) == "/home/datascience/conda"
    (tmp_path / "ads_ops" / "config.ini").write_text("[CONDA]\nconda_pack_folder = /data/envs\n")
    assert str(load_settings().pack_folder) == "/data/envs"  # configured wins


def test_install_in_a_session(capsys, monkeypatch, throwaway_rsa_key_pem, tmp_path,
                              object_storage, service_bucket):  # fmt: skip
    folder = tmp_path / "conda"
    token = enter_session(monkeypatch, throwaway_rsa_key_pem, folder)
    session = ["--os-endpoint", object_storage.endpoint, "--conda-pack-folder", str(folder)]
    result = cli_json(capsys, "install", "-s", CPU_SLUG, "--service", *session)
    # nb_conda_kernels shows the env; we add no second kernelspec for it
    assert result["kernels"] == [f"conda-env-{CPU_SLUG}-py"]
    assert kernels.our_kernels() == {}
    # signed by the session's resource principal, the service bucket of its region
    assert {r["key_id"] for r in object_storage.requests} == {f"ST${token}"}
    # the Environment Explorer's layout: <folder>/<slug>/<slug>_manifest.yaml
    document = yaml.safe_load((folder / CPU_SLUG / f"{CPU_SLUG}_manifest.yaml").read_text())
    manifest = document["manifest"]
    assert manifest["slug"] == CPU_SLUG and manifest["type"] == "data_science"
    assert manifest["arch_type"] == "CPU" and manifest["python"].startswith("3.")
    assert manifest["name"] == "Test Data Science for CPU on Python 3.11"
    listed = cli_json(capsys, "list", "--conda-pack-folder", str(folder))
    assert [(e["slug"], e["kernels"]) for e in listed] == [(CPU_SLUG, [f"conda-env-{CPU_SLUG}-py"])]
    usage = cli_json(capsys, "usage", "-s", CPU_SLUG, "--service", "--for", "job", *session)
    assert f"resource.compartment.id='{COMPARTMENT}'" in usage["policy"]["dynamic_group_rule"]
