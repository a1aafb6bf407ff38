"""Packs and config files move both ways between Oracle's own ADS CLI and ours.

ADS (oracle-ads[opctl], `make ads-venv`) runs as its users run it, with NO_CONTAINER=1,
against the suite's Object Storage server; where it calls `conda`, a stand-in builds with
our engine from the local channel (tests/support/ads/). Both tools share one
`~/.ads_ops` folder: config.ini written by our `configure` (after a partial one) and by
`ads opctl configure`, and an ml_job_config.ini whose prefix both must follow.
"""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest

from tests.support.ads import AdsCli, ads_required, find_ads
from tests.support.cli import cli_error, cli_json
from tests.support.envfiles import write_env_file
from tests.support.kernels import run_in_kernel

pytestmark = pytest.mark.slow

PREFIX = "oci://packs@testns/conda"
RUN_PREFIX = "import sys; print(sys.prefix)"


@pytest.fixture(scope="module")
def ads_executable():
    ads, missing = find_ads()
    if ads is None:
        if ads_required():
            pytest.fail(missing, pytrace=False)
        pytest.skip(missing)
    return ads


@pytest.fixture
def ads(ads_executable, object_storage, conda_channel, tmp_path) -> AdsCli:
    home = tmp_path / "home"
    home.mkdir()
    return AdsCli(ads_executable, object_storage.endpoint, home)


@pytest.fixture
def ads_config(isolated_user_dirs):
    """The folder both tools read: ours through ADS_OPS_CONFIG_DIR, ADS's by --ads-config."""
    return isolated_user_dirs / "ads_ops"


@pytest.fixture
def configured(capsys, ads, oci_config_file, tmp_path):
    """A partial `configure` (the store only) and then the rest, as a user would."""
    cli_json(capsys, "configure", "-p", PREFIX)
    cli_json(
        capsys, "configure", "-a", "api_key", "--oci-config", str(oci_config_file),
        "--os-endpoint", ads.endpoint, "--conda-pack-folder", str(tmp_path / "conda"),
    )  # fmt: skip
    return tmp_path / "conda"


def env_file(folder, name, channel):
    return write_env_file(folder, name, [channel], ["python", "ipykernel"], manifest={"name": name})


def stored_manifest(object_storage, uri: str) -> dict:
    name = uri.split("/", 3)[3]
    return json.loads(object_storage.object_metadata("packs", name)["opc-meta-manifest"])


def test_ads_creates_and_publishes_and_ours_installs_by_slug_and_uri(
    ads, ads_config, configured, object_storage, conda_channel, tmp_path, capsys
):
    source = env_file(tmp_path, "adsenv", conda_channel)
    ads.run("conda", "create", "-f", str(source), "--ads-config", str(ads_config), "-d")
    assert (configured / "adsenv_v1" / "adsenv_v1_manifest.yaml").is_file()
    ads.run("conda", "publish", "-s", "adsenv_v1", "--ads-config", str(ads_config))
    uri = f"{PREFIX}/cpu/adsenv/1/adsenv_v1"

    by_slug = cli_json(
        capsys, "install", "-s", "adsenv_v1", "--conda-pack-folder", str(tmp_path / "a")
    )
    assert by_slug["pack_uri"] == uri
    assert run_in_kernel(by_slug["kernels"][0], RUN_PREFIX).strip() == by_slug["prefix"]
    by_uri = cli_json(capsys, "install", "-u", uri, "--conda-pack-folder", str(tmp_path / "b"))
    assert run_in_kernel(by_uri["kernels"][0], RUN_PREFIX).strip() == str(
        tmp_path / "b" / "adsenv_v1"
    )

    # ADS publishes the env ours installed: its manifest names our install's sha256, which
    # ADS copies into the metadata of a new tarball
    ads.run(
        "conda", "publish", "-s", "adsenv_v1", "--conda-pack-folder", str(tmp_path / "a"),
        "-p", f"{PREFIX}/again", "--ads-config", str(ads_config),
    )  # fmt: skip
    again = f"{PREFIX}/again/cpu/adsenv/1/adsenv_v1"
    stale = stored_manifest(object_storage, again)["sha256"]
    real = hashlib.sha256(object_storage.object_bytes("packs", again.split("/", 3)[3])).hexdigest()
    assert stale == by_slug["sha256"] != real
    installed = cli_json(
        capsys, "install", "-s", "adsenv_v1", "-p", f"{PREFIX}/again",
        "--conda-pack-folder", str(tmp_path / "c"),
    )  # fmt: skip
    assert installed["sha256"] == real
    # an explicit --sha256 decides alone, both ways
    cli_json(
        capsys, "install", "-u", again, "--sha256", real, "--conda-pack-folder", str(tmp_path / "d")
    )
    refused = cli_error(
        capsys,
        "install",
        "-u",
        again,
        "--sha256",
        stale,
        "--conda-pack-folder",
        str(tmp_path / "e"),
    )
    assert "checksum mismatch" in refused


def test_ours_publishes_and_ads_installs_after_ads_rewrote_the_config(
    ads, ads_config, configured, oci_config_file, object_storage, conda_channel, tmp_path, capsys
):
    source = env_file(tmp_path, "oursenv", conda_channel)
    created = cli_json(capsys, "create", "-f", str(source), "-n", "oursenv")
    assert created["slug"] == "oursenv_v1"  # what `ads opctl conda create -n oursenv` gives
    published = cli_json(capsys, "publish", "-s", "oursenv_v1")
    assert published["uri"] == f"{PREFIX}/cpu/oursenv/1/oursenv_v1"
    # never packed before: packed straight into the store, its checksum beside it
    name = published["uri"].split("/", 3)[3]
    assert f"{name}.sha256.json" in object_storage.object_names("packs")
    assert "sha256" not in stored_manifest(object_storage, published["uri"])

    # `ads opctl configure` rewrites [OCI] wholesale; our keys and ADS's both still hold
    answers = [str(ads_config), "api_key", str(oci_config_file), "DEFAULT",
               str(tmp_path / "ads-installs"), PREFIX] + ["n"] * 10  # fmt: skip
    ads.run("configure", input="\n".join(answers) + "\n")
    status = cli_json(capsys, "status")
    assert status["store_uri"] == PREFIX
    settings = cli_json(capsys, "configure")
    assert settings["os_endpoint"] == ads.endpoint
    assert settings["conda_pack_folder"] == str(tmp_path / "ads-installs")

    ads.run("conda", "install", "-u", published["uri"], "--ads-config", str(ads_config))
    moved = tmp_path / "ads-installs" / "oursenv_v1"
    ran = subprocess.run(
        [moved / "bin" / "python", "-c", RUN_PREFIX], capture_output=True, text=True, check=True
    )
    assert ran.stdout.strip() == str(moved)

    # ADS publishes the env ours packed (its manifest names our pack's sha256): ours installs
    ads.run(
        "conda", "publish", "-s", "oursenv_v1", "-o", "--conda-pack-folder", str(configured),
        "--ads-config", str(ads_config),
    )  # fmt: skip
    assert stored_manifest(object_storage, published["uri"])["sha256"] == published["sha256"]
    installed = cli_json(
        capsys, "install", "-s", "oursenv_v1", "--conda-pack-folder", str(tmp_path / "x")
    )
    assert installed["sha256"] != published["sha256"]
    assert run_in_kernel(installed["kernels"][0], RUN_PREFIX).strip() == installed["prefix"]


def test_after_a_partial_configure_both_follow_the_ml_job_config_prefix(
    ads, ads_config, oci_config_file, conda_channel, tmp_path, capsys
):
    cli_json(capsys, "configure", "-p", PREFIX)  # alone, this once left a file ADS crashed on
    (ads_config / "ml_job_config.ini").write_text(
        f"[DEFAULT]\ncompartment_id = ocid1.compartment..x\nconda_pack_os_prefix = {PREFIX}/jobs\n"
    )
    folder = ("--conda-pack-folder", str(tmp_path / "conda"))
    oci = ("--oci-config", str(oci_config_file), "--oci-profile", "DEFAULT", "-a", "api_key")
    source = env_file(tmp_path, "jobsenv", conda_channel)
    ads.run("conda", "create", "-f", str(source), *folder, "--ads-config", str(ads_config))
    ads.run("conda", "publish", "-s", "jobsenv_v1", *folder, *oci, "--ads-config", str(ads_config))
    assert cli_json(capsys, "status")["store_uri"] == f"{PREFIX}/jobs"
    installed = cli_json(
        capsys, "install", "-s", "jobsenv_v1", "--conda-pack-folder", str(tmp_path / "j"),
        *oci, "--os-endpoint", ads.endpoint,
    )  # fmt: skip
    assert installed["pack_uri"] == f"{PREFIX}/jobs/cpu/jobsenv/1/jobsenv_v1"
