"""`usage --for job|pipeline|model-deployment|dataflow`: what to paste into OCI Data Science.
The job variables must equal what Oracle's ADS computes for the same pack through its job
runtime (`with_custom_conda` / `with_service_conda`, `_translate_env`), run offline in
ADS's own virtual environment (`CONDA_PACK_EXT_ADS`, its `bin/ads`)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.ads import ads_required, find_ads
from tests.support.cli import cli_error, cli_json
from tests.support.service_bucket import (
    service_bucket_fixture,  # noqa: F401
    service_pack_files_fixture,  # noqa: F401
)
from tests.test_service_packs import CPU_SLUG, oci_flags

STORE = ["-p", "oci://packs@testns/conda"]
# Runs in ADS's python: argv[1] is the pack (JSON); prints the job run's variables and the
# Spark settings ADS derives for it.
ADS_SCRIPT = """
import json, sys
from ads.jobs import ScriptRuntime
from ads.jobs.builders.infrastructure.dataflow import conda_pack_name_to_dataflow_config
from ads.jobs.builders.infrastructure.dsc_job_runtime import CondaRuntimeHandler
pack = json.loads(sys.argv[1])
runtime = ScriptRuntime().with_source("job.py")
if pack["type"] == "service":
    runtime = runtime.with_service_conda(pack["slug"])
else:
    runtime = runtime.with_custom_conda(pack["uri"], region=pack["region"])
print(json.dumps({"env": CondaRuntimeHandler(None)._translate_env(runtime),
                  "spark_conf": conda_pack_name_to_dataflow_config(pack["uri"])}))
"""


def ads_python() -> Path:
    """The python of the virtual environment holding Oracle's ADS (tests/support/ads)."""
    ads, missing = find_ads()
    if ads is None:
        if ads_required():
            pytest.fail(missing, pytrace=False)
        pytest.skip(missing)
    return ads.parent / "python"


def ads_translation(pack: dict) -> dict:
    result = subprocess.run(
        [str(ads_python()), "-c", ADS_SCRIPT, json.dumps(pack)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": "", "OCI_CLI_AUTH": "api_key"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def flags(object_storage, oci_config_file, tmp_path, service_bucket) -> list[str]:
    return oci_flags(object_storage, oci_config_file, tmp_path)


def test_job_env_of_a_published_pack_equals_ads(capsys, flags):
    copied = cli_json(capsys, "publish", "--from-service", CPU_SLUG, *STORE, *flags)
    usage = cli_json(capsys, "usage", "-s", CPU_SLUG, "--for", "job", *STORE, *flags)
    assert usage["pack"]["uri"] == copied["uri"]  # a name with spaces, kept as stored
    assert usage["env"]["CONDA_ENV_OBJECT_NAME"].startswith("conda/cpu/Test Data Science")
    assert usage["region"] == "us-ashburn-1"  # the region of the user's OCI profile
    ads = ads_translation({"type": "published", "uri": copied["uri"], "region": "us-ashburn-1"})
    assert usage["env"] == ads["env"]
    assert f'with_custom_conda("{copied["uri"]}", region="us-ashburn-1")' in usage["ads_python"]
    statement = usage["policy"]["statements"][0]
    assert (
        "to read objects in compartment" in statement and "target.bucket.name='packs'" in statement
    )
    assert "resource.type='datasciencejobrun'" in usage["policy"]["dynamic_group_rule"]

    dataflow = cli_json(capsys, "usage", "-u", copied["uri"], "--for", "dataflow", *flags)
    assert dataflow["spark_conf"] == ads["spark_conf"]
    assert dataflow["spark_conf"]["spark.archives"] == f"{copied['uri']}#conda"
    assert "resource.type='dataflowrun'" in dataflow["policy"]["dynamic_group_rule"]


def test_job_env_of_a_service_pack_equals_ads(capsys, flags):
    usage = cli_json(capsys, "usage", "-s", CPU_SLUG, "--service", "--for", "pipeline", *flags)
    assert usage["env"] == {"CONDA_ENV_TYPE": "service", "CONDA_ENV_SLUG": CPU_SLUG}
    assert usage["env"] == ads_translation({"type": "service", "slug": CPU_SLUG, "uri": ""})["env"]
    assert f'with_service_conda("{CPU_SLUG}")' in usage["ads_python"]
    assert "PipelineStep" in usage["ads_python"]
    assert usage["policy"]["statements"] == []  # Oracle's bucket: no policy to write


def test_model_deployment_runtime_yaml(capsys, flags):
    usage = cli_json(capsys, "usage", "-s", CPU_SLUG, "--service", "--for", "model-deployment",
                     *flags)  # fmt: skip
    block = usage["runtime_yaml"]["MODEL_DEPLOYMENT"]["INFERENCE_CONDA_ENV"]
    assert block == {
        "INFERENCE_ENV_PATH": usage["pack"]["uri"],
        "INFERENCE_ENV_SLUG": CPU_SLUG,
        "INFERENCE_ENV_TYPE": "data_science",
        "INFERENCE_PYTHON_VERSION": "3.11",
    }
    assert yaml.safe_load(usage["runtime_yaml_text"]) == usage["runtime_yaml"]
    text = cli_text(capsys, "usage", "-s", CPU_SLUG, "--service", "--for",
                                "model-deployment", *flags)  # fmt: skip
    assert "INFERENCE_ENV_SLUG: tdscpu_p311_cpu_v1" in text
    assert "resource.type='datasciencemodeldeployment'" in text


def cli_text(capsys, *argv) -> str:
    """What a command prints without --json."""
    from conda_pack_ext.cli import main

    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_bad_pack_uris(capsys, flags, tmp_path):
    for uri in ("oci://packs@testns", "oci://packs@testns/", "https://example.com/x", "oci:///x"):
        err = cli_error(capsys, "usage", "-u", uri, "--for", "job", *flags)
        assert f"{uri!r} is not the path of an object in Object Storage" in err
    local = ["-p", (tmp_path / "store").as_uri()]
    cli_json(capsys, "publish", "--from-service", CPU_SLUG, *local, *flags)
    err = cli_error(capsys, "usage", "-s", CPU_SLUG, "--for", "job", *local, *flags)
    assert "which OCI services cannot read" in err and "-p oci://" in err
