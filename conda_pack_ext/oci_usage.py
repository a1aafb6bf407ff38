"""What to paste to use a pack in OCI Data Science Jobs, Pipelines, Model Deployments and
Data Flow, and the IAM policy that lets those resources read the pack's bucket.

The variables are those a job run reads, set exactly as ADS's job runtime sets them from
`with_custom_conda(uri, region)` (published packs) and `with_service_conda(slug)`; the
model deployment block is `runtime.yaml`'s `MODEL_DEPLOYMENT.INFERENCE_CONDA_ENV`; Data
Flow takes the pack as `spark.archives = <uri>#conda`.
"""

from __future__ import annotations

import yaml

from .errors import InvalidInput, PackError
from .notebook_session import session_compartment
from .settings import Settings

TARGETS = ("job", "pipeline", "model-deployment", "dataflow")
# the resource type whose principal runs the pack, for the dynamic group's matching rule
RESOURCE_TYPES = {
    "job": "datasciencejobrun",
    "pipeline": "datasciencepipelinerun",
    "model-deployment": "datasciencemodeldeployment",
    "dataflow": "dataflowrun",
}


def parse_object_uri(uri: str) -> tuple[str, str, str]:
    """(bucket, namespace, object name) of oci://bucket@namespace/object, spaces kept."""
    # oci (behind the OCI store and service packs) is imported when used, here and below:
    # it stays out of the server's start-up
    from .stores.oci_store import parse_oci_uri

    try:
        bucket, namespace, name = parse_oci_uri(uri)
    except InvalidInput:
        name = ""
    if not name:
        raise InvalidInput(
            f"{uri!r} is not the path of an object in Object Storage",
            "give the pack's URI as oci://bucket@namespace/path/to/pack (see "
            "`conda-pack-ext list --published`)",
        )
    return bucket, namespace, name


def describe_pack(params: dict, settings: Settings) -> dict:
    """{slug, uri, python, type} of the pack named by `conda_uri`, or by `slug` in the
    store, or by `slug` among the service packs (`service`)."""
    if params.get("service"):
        from .service_packs import find_entry

        _, row, _ = find_entry(params.get("slug") or "", settings)
        return {"slug": row["slug"], "uri": row["pack_uri"], "python": row.get("python") or "",
                "type": "data_science"}  # fmt: skip
    if params.get("conda_uri"):
        uri = params["conda_uri"]
        parse_object_uri(uri)
        return {"slug": uri.rstrip("/").rpartition("/")[2], "uri": uri,
                "python": _python_of(uri, settings), "type": "published"}  # fmt: skip
    if not params.get("slug"):
        raise InvalidInput("give -s SLUG (published, or with --service) or -u oci://...")
    from .publish import resolve_slug

    source = resolve_slug(params["slug"], settings)
    if not source.uri.startswith("oci://"):
        raise InvalidInput(
            f"{params['slug']!r} is published in {settings.store_uri}, which OCI services "
            "cannot read",
            "publish it to Object Storage: -p oci://bucket@namespace/prefix",
        )
    manifest = source.manifest or {}
    return {"slug": params["slug"], "uri": source.uri, "python": manifest.get("python") or "",
            "type": "published"}  # fmt: skip


def _python_of(uri: str, settings: Settings) -> str:
    """The python version in a published pack's manifest metadata; "" when unreadable."""
    from .publish import source_for_uri

    try:
        return str((source_for_uri(uri, settings).manifest or {}).get("python") or "")
    except PackError:
        return ""


def job_env(pack: dict, region: str) -> dict:
    """The variables of a job run (or pipeline step) that make it use the pack."""
    if pack["type"] == "data_science":
        return {"CONDA_ENV_TYPE": "service", "CONDA_ENV_SLUG": pack["slug"]}
    bucket, namespace, name = parse_object_uri(pack["uri"])
    env = {"CONDA_ENV_TYPE": "published", "CONDA_ENV_NAMESPACE": namespace,
           "CONDA_ENV_BUCKET": bucket, "CONDA_ENV_OBJECT_NAME": name}  # fmt: skip
    if region:
        env["CONDA_ENV_REGION"] = region
    return env


def ads_conda_call(pack: dict, region: str) -> str:
    if pack["type"] == "data_science":
        return f'with_service_conda("{pack["slug"]}")'
    region_arg = f', region="{region}"' if region else ""
    return f'with_custom_conda("{pack["uri"]}"{region_arg})'


def runtime_yaml(pack: dict) -> dict:
    return {
        "MODEL_ARTIFACT_VERSION": "3.0",
        "MODEL_DEPLOYMENT": {
            "INFERENCE_CONDA_ENV": {
                "INFERENCE_ENV_PATH": pack["uri"],
                "INFERENCE_ENV_SLUG": pack["slug"],
                "INFERENCE_ENV_TYPE": pack["type"],
                "INFERENCE_PYTHON_VERSION": str(pack["python"] or ""),
            }
        },
    }


def policy(target: str, pack: dict, compartment: str) -> dict:
    """The dynamic group rule and the statement letting the resource read the bucket."""
    rule = (
        f"ALL {{resource.type='{RESOURCE_TYPES[target]}', "
        f"resource.compartment.id='{compartment or '<compartment OCID>'}'}}"
    )
    if pack["type"] == "data_science":
        return {"dynamic_group_rule": rule, "statements": [],
                "note": "service packs are read from Oracle's bucket: no policy needed"}  # fmt: skip
    bucket, _, _ = parse_object_uri(pack["uri"])
    statement = (
        "allow dynamic-group <dynamic group> to read objects in compartment "
        f"<compartment of the bucket> where target.bucket.name='{bucket}'"
    )
    return {"dynamic_group_rule": rule, "statements": [statement]}


def usage(params: dict, settings: Settings) -> dict:
    """What to paste to use the pack with `params["target"]` (one of TARGETS)."""
    target = params.get("target") or ""
    if target not in TARGETS:
        raise InvalidInput(f"unknown target {target!r}", f"use one of: {', '.join(TARGETS)}")
    pack = describe_pack(params, settings)
    region = params.get("region") or _region(settings)
    result = {"target": target, "pack": pack, "region": region,
              "policy": policy(target, pack, session_compartment())}  # fmt: skip
    if target in ("job", "pipeline"):
        result["env"] = job_env(pack, region)
        runtime = f'PythonRuntime().with_source("job.py").{ads_conda_call(pack, region)}'
        lines = ["from ads.jobs import PythonRuntime", f"runtime = {runtime}"]
        if target == "pipeline":
            lines += ["from ads.pipeline import PipelineStep",
                      'step = PipelineStep("step").with_runtime(runtime)']  # fmt: skip
        result["ads_python"] = "\n".join(lines)
    elif target == "model-deployment":
        result["runtime_yaml"] = runtime_yaml(pack)
        result["runtime_yaml_text"] = yaml.safe_dump(result["runtime_yaml"], sort_keys=False)
    else:
        # the run reads the pack with its resource principal, as ADS sets it up
        result["spark_conf"] = {
            "spark.archives": f"{pack['uri']}#conda",
            "dataflow.auth": "resource_principal",
        }
        result["ads_python"] = (
            "from ads.jobs import DataFlowRuntime\n"
            f'runtime = DataFlowRuntime().with_custom_conda("{pack["uri"]}")'
        )
    return result


def _region(settings: Settings) -> str:
    from .service_packs import user_region

    try:
        return user_region(settings)
    except PackError:
        return ""
