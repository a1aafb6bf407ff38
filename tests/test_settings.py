"""ADS's config files as both tools read them: `configure` always leaves a file ADS reads,
our keys survive `ads opctl configure`, ml_job_config.ini takes precedence as in ADS, and
`%` or a same-line comment never breaks a command. (tests/test_ads_roundtrip.py runs ADS
itself on such files.)"""

from __future__ import annotations

import configparser
import json

import pytest

from conda_pack_ext.errors import InvalidInput
from conda_pack_ext.settings import load_settings, read_config, write_config
from tests.support.cli import cli_error, cli_json


def ads_reads(path) -> dict:
    """What ADS's ConfigMerger takes from config.ini (its parser, its sections and keys)."""
    parser = configparser.ConfigParser(default_section=None)
    parser.optionxform = str
    parser.read(path)
    return {
        "oci_config": parser["OCI"].get("oci_config"),
        "oci_profile": parser["OCI"].get("oci_profile"),
        "auth": parser["OCI"].get("auth"),
        "conda_pack_folder": parser["CONDA"].get("conda_pack_folder"),
        "conda_pack_os_prefix": parser["CONDA"].get("conda_pack_os_prefix"),
    }


@pytest.fixture
def config_ini(isolated_user_dirs):
    return isolated_user_dirs / "ads_ops" / "config.ini"


def test_a_partial_configure_leaves_both_sections(capsys, config_ini):
    cli_json(capsys, "configure", "-p", "oci://packs@testns/conda")
    assert ads_reads(config_ini)["conda_pack_os_prefix"] == "oci://packs@testns/conda"
    cli_json(capsys, "configure", "--parallelism", "3")
    assert ads_reads(config_ini)["auth"] is None  # ADS's default, as ours


def test_our_keys_survive_ads_rewriting_its_oci_section(capsys, config_ini):
    cli_json(
        capsys, "configure", "-a", "api_key", "--os-endpoint", "http://127.0.0.1:9",
        "--part-size-mb", "4", "--parallelism", "2",
    )  # fmt: skip
    write_config({"engine": "rattler"})
    # what `ads opctl configure` does: [OCI] replaced wholesale, the rest kept
    parser = configparser.ConfigParser(default_section=None)
    parser.optionxform = str
    parser.read(config_ini)
    parser["OCI"] = {"oci_config": "~/.oci/config", "oci_profile": "DEFAULT", "auth": "api_key"}
    with open(config_ini, "w") as out:
        parser.write(out)
    settings = load_settings()
    assert (settings.os_endpoint, settings.part_size_mb, settings.parallelism) == (
        "http://127.0.0.1:9",
        4,
        2,
    )
    assert settings.engine == "rattler"


def test_keys_where_earlier_versions_wrote_them_are_read_and_moved(capsys, config_ini):
    config_ini.write_text(
        "[OCI]\nauth = api_key\nos_endpoint = http://127.0.0.1:9\npart_size_mb = 4\n"
        "[CONDA]\nengine = rattler\n"
    )
    assert read_config() == {
        "auth": "api_key",
        "os_endpoint": "http://127.0.0.1:9",
        "part_size_mb": 4,
        "engine": "rattler",
    }
    cli_json(capsys, "configure", "--parallelism", "3")
    parser = configparser.ConfigParser(default_section=None)
    parser.read(config_ini)
    assert dict(parser["CONDA_PACK_EXT"]) == {
        "os_endpoint": "http://127.0.0.1:9",
        "part_size_mb": "4",
        "engine": "rattler",
        "parallelism": "3",
    }
    assert dict(parser["OCI"]) == {"auth": "api_key"}
    assert read_config()["part_size_mb"] == 4


@pytest.mark.parametrize("folder", ["/data/100%", "/data/%(x)s", "/data/50%%"])
def test_percent_signs_round_trip_through_configure(capsys, config_ini, folder):
    settings = cli_json(capsys, "configure", "--conda-pack-folder", folder)
    assert settings["conda_pack_folder"] == folder
    assert ads_reads(config_ini)["conda_pack_folder"] == folder  # ADS interpolates: %% is %
    assert load_settings().conda_pack_folder == folder


def test_a_lone_percent_written_by_hand_is_read_as_written(config_ini):
    config_ini.write_text("[OCI]\n[CONDA]\nconda_pack_folder = /data/100%\n")
    assert load_settings().conda_pack_folder == "/data/100%"


def test_a_comment_on_a_value_line_is_refused_naming_the_line(capsys, config_ini):
    config_ini.write_text("[OCI]\nauth = api_key\n\n[CONDA_PACK_EXT]\npart_size_mb = 16 ; ours\n")
    error = cli_error(capsys, "status")
    assert f"{config_ini}:5" in error
    assert "part_size_mb" in error and "comment" in error
    with pytest.raises(InvalidInput, match="16 ; ours"):
        load_settings()


def test_ml_job_config_prefix_overrides_config_ini_as_in_ads(capsys, config_ini):
    cli_json(capsys, "configure", "-p", "oci://packs@testns/from-config", "--oci-profile", "WORK")
    jobs = config_ini.parent / "ml_job_config.ini"
    jobs.write_text(
        "[DEFAULT]\nconda_pack_os_prefix = oci://packs@testns/from-default\n"
        "[WORK]\ncompartment_id = ocid1.compartment..x\n"
        "conda_pack_os_prefix = oci://packs@testns/from-work\nconda_pack_folder = /elsewhere\n"
        "[RESOURCE_PRINCIPAL]\nconda_pack_os_prefix = oci://packs@testns/from-rp\n"
    )
    settings = load_settings()
    assert settings.conda_pack_os_prefix == "oci://packs@testns/from-work"
    assert settings.sources["conda_pack_os_prefix"] == "ml_job_config"
    assert settings.conda_pack_folder == "~/conda"  # ADS's conda commands ignore it there
    assert load_settings(oci_profile="OTHER").conda_pack_os_prefix.endswith("from-default")
    assert load_settings(auth="resource_principal").conda_pack_os_prefix.endswith("from-rp")
    flagged = load_settings(conda_pack_os_prefix="oci://packs@testns/flag")
    assert flagged.conda_pack_os_prefix.endswith("/flag")
    assert flagged.sources["conda_pack_os_prefix"] == "flag"


async def test_percent_signs_round_trip_through_put_config(jp_fetch, config_ini):
    body = {"conda_pack_folder": "/data/100%", "container_image": "img:%(tag)s"}
    response = await jp_fetch(
        "conda-pack-ext", "config", method="PUT", body=json.dumps(body)
    )  # fmt: skip
    answer = json.loads(response.body)["settings"]
    assert (answer["conda_pack_folder"], answer["container_image"]) == tuple(body.values())
    status = json.loads((await jp_fetch("conda-pack-ext", "status")).body)
    assert status["conda_pack_folder"] == "/data/100%"
    assert ads_reads(config_ini)["conda_pack_folder"] == "/data/100%"


def test_ads_spellings_of_the_config_folder_and_debug_flags(capsys, tmp_path):
    folder = tmp_path / "elsewhere"
    cli_json(capsys, "configure", "--ads-config", str(folder), "-p", "oci://b@n/after", "-d")
    assert ads_reads(folder / "config.ini")["conda_pack_os_prefix"] == "oci://b@n/after"
    before = cli_json(capsys, "--ads-config", str(folder), "status", "--debug")
    assert before["store_uri"] == "oci://b@n/after"
    (folder / "config.ini").write_text("[OCI]\n[CONDA]\n[CONDA_PACK_EXT]\nparallelism = x\n")
    error = cli_error(capsys, "status", "--ads-config", str(folder), "-d")
    assert "Traceback" in error and "parallelism must be an integer" in error


def test_the_command_line_defaults_to_ads_version_and_the_manifest_version_wins(tmp_path):
    from conda_pack_ext.cli import build_parser
    from conda_pack_ext.cli.common import params_from_args
    from conda_pack_ext.envfile import load_env_file, resolve_identity

    plain = tmp_path / "plain.yaml"
    plain.write_text("name: foo\ndependencies: [python]\n")
    versioned = tmp_path / "versioned.yaml"
    versioned.write_text("dependencies: [python]\nmanifest: {name: foo, version: '2.0'}\n")
    for command in ("create", "publish"):
        args = build_parser().parse_args([command, "-f", str(plain), "-n", "foo"])
        params = params_from_args(args, args.operation)
        names = ("name", "version", "default_version")
        identity = resolve_identity(load_env_file(plain), **{k: params.get(k) for k in names})
        assert identity.slug == "foo_v1"  # as `ads opctl conda create -n foo -f ...`
    # the panel and REST default stays odsc's 1.0
    assert resolve_identity(load_env_file(plain)).slug == "foo_v1_0"
    # ADS would say foo_v1 here but put the object under .../foo/2.0/: we say foo_v2_0
    assert resolve_identity(load_env_file(versioned), default_version="1").slug == "foo_v2_0"
