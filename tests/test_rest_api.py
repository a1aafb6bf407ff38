"""The REST API over a real Jupyter server (auth on) running real operations: settings,
jobs (submit, poll, cancel, conflicts, history across restarts), live events, and the
full create -> publish -> install -> kernel flow from the local test channel."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from jupyter_events.schema import EventSchema
from tornado.httpclient import HTTPClientError

from conda_pack_ext.server import JOB_EVENT_SCHEMA_ID, JOB_EVENT_SCHEMA_PATH
from tests.support.envfiles import write_slow_project
from tests.support.history import running_job_record, write_history

FINISHED = {"succeeded", "failed", "cancelled", "interrupted"}


@pytest.fixture
def history_db(tmp_path):
    return tmp_path / "history" / "jobs.sqlite"


@pytest.fixture
def jp_server_config(history_db):
    return {
        "ServerApp": {"jpserver_extensions": {"conda_pack_ext": True}},
        "CondaPackExt": {"history_db": str(history_db), "max_concurrent_jobs": 2},
    }


@pytest.fixture
def pack_folder(tmp_path):
    return tmp_path / "packs"


class Api:
    """Calls to /conda-pack-ext/ as the logged-in user."""

    def __init__(self, fetch):
        self.fetch = fetch

    async def call(self, method: str, path: str, body=None, **params):
        response = await self.fetch(
            "conda-pack-ext",
            path,
            method=method,
            body=None if body is None else json.dumps(body),
            params=params or None,
            allow_nonstandard_methods=True,
        )
        return response, json.loads(response.body or b"null")

    async def error(self, method: str, path: str, body=None, **params) -> tuple[int, dict]:
        """The status and error body of a call that must fail."""
        with pytest.raises(HTTPClientError) as refused:
            await self.call(method, path, body, **params)
        return refused.value.code, json.loads(refused.value.response.body)

    async def submit(self, kind: str, **params) -> dict:
        response, job = await self.call("POST", "jobs", {"kind": kind, "params": params})
        assert response.code == 202
        assert urlparse(response.headers["Location"]).path.endswith(
            f"/conda-pack-ext/jobs/{job['id']}"
        )
        return job

    async def job(self, job_id: str, log_offset: int = 0) -> dict:
        return (await self.call("GET", f"jobs/{job_id}", log_offset=str(log_offset)))[1]

    async def wait(self, job_id: str, timeout: float = 300, until=None) -> dict:
        until = until or (lambda job: job["state"] in FINISHED)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = await self.job(job_id)
            if until(job):
                return job
            await asyncio.sleep(0.1)
        raise AssertionError(f"job {job_id} still {job['state']} ({job['phase']})")

    async def run(self, kind: str, **params) -> dict:
        job = await self.wait((await self.submit(kind, **params))["id"])
        assert job["state"] == "succeeded", job["error"]
        return job


@pytest.fixture
def api(jp_fetch):
    return Api(jp_fetch)


def write_env_file(folder: Path, name: str, version: str = "1.0", **extra) -> Path:
    document = {
        "name": name,
        "channels": [str(extra.pop("channel"))] if "channel" in extra else [],
        "dependencies": extra.pop("dependencies", ["python", "ipykernel"]),
        "manifest": {"name": name, "version": version, **extra},
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def leftovers(folder: Path) -> list[str]:
    """What a pack folder holds, but for the lock files the core keeps there."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name != ".locks")


# ---- settings ---------------------------------------------------------------------------


async def test_config_shows_settings_and_their_sources(api, pack_folder, isolated_user_dirs):
    _, config = await api.call("GET", "config")
    assert config["sources"]["conda_pack_folder"] == "default"
    assert config["settings"]["auth"] == "api_key"
    assert "conda_pack_os_prefix" in config["keys"]

    store = (isolated_user_dirs / "store").as_uri()
    _, config = await api.call(
        "PUT", "config", {"conda_pack_folder": str(pack_folder), "conda_pack_os_prefix": store}
    )
    assert config["settings"]["conda_pack_folder"] == str(pack_folder)
    assert config["settings"]["conda_pack_os_prefix"] == store
    assert config["sources"]["conda_pack_folder"] == "config"
    written = (isolated_user_dirs / "ads_ops" / "config.ini").read_text()
    assert f"conda_pack_folder = {pack_folder}" in written
    # the status route reads the same file
    _, status = await api.call("GET", "status")
    assert status["conda_pack_folder"] == str(pack_folder)

    # null removes a key: back to the default
    _, config = await api.call("PUT", "config", {"conda_pack_folder": None})
    assert config["sources"]["conda_pack_folder"] == "default"


async def test_config_refuses_bad_values(api, isolated_user_dirs):
    code, error = await api.error("PUT", "config", {"auth": "password"})
    assert code == 400 and "unknown auth mode" in error["message"]
    code, error = await api.error("PUT", "config", {"colour": "red"})
    assert code == 400 and "colour" in error["message"]
    code, error = await api.error("PUT", "config", {"conda_pack_os_prefix": "s3://bucket"})
    assert code == 400 and "oci://" in error["hint"]
    code, error = await api.error("PUT", "config", ["not", "an", "object"])
    assert code == 400
    assert not (isolated_user_dirs / "ads_ops" / "config.ini").exists()


async def test_no_secret_is_ever_returned(api, tmp_path):
    secret_key = "-----BEGIN RSA PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n"
    key_file = tmp_path / "key.pem"
    key_file.write_text(secret_key)
    oci_config = tmp_path / "oci_config"
    oci_config.write_text(
        f"[DEFAULT]\nuser=ocid1.user.oc1..x\nkey_file={key_file}\n"
        "pass_phrase=TOP-SECRET-PASSPHRASE\nregion=us-ashburn-1\n"
    )
    await api.call("PUT", "config", {"oci_config": str(oci_config), "oci_profile": "DEFAULT"})
    for path in ("config", "status", "jobs"):
        response, _ = await api.call("GET", path)
        assert b"TOP-SECRET" not in response.body


# ---- job input errors --------------------------------------------------------------------


async def test_bad_job_requests_get_400_with_a_message(api, jp_root_dir, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("name: outside\ndependencies: [python]\n")
    (jp_root_dir / "link.yaml").symlink_to(outside)
    (jp_root_dir / "sub").mkdir()
    (jp_root_dir / "sub" / "env.yaml").write_text("name: inside\ndependencies: [python]\n")
    cases = [
        ({"kind": "explode", "params": {}}, "unknown kind"),
        ({"params": {}}, "unknown kind"),
        ({"kind": "create", "params": ["x"]}, "params must be a JSON object"),
        ({"kind": "create", "params": {"colour": "red"}}, "unknown parameter"),
        ({"kind": "pack", "params": {"slug": "a", "overwrite": "yes"}}, "true or false"),
        ({"kind": "create", "params": {"environment": "x", "engine": "gcc"}}, "engine must be one"),
        ({"kind": "pack", "params": {"slug": "a", "engine": "rattler"}}, "unknown parameter"),
        ({"kind": "create", "params": {"environment_file": "../outside.yaml"}}, "outside"),
        ({"kind": "create", "params": {"environment_file": str(outside)}}, "not a file"),
        ({"kind": "create", "params": {"environment_file": "link.yaml"}}, "outside"),
        ({"kind": "create", "params": {"environment_file": "sub/../../outside.yaml"}}, "outside"),
        ({"kind": "create", "params": {"environment_file": "missing.yaml"}}, "not a file"),
        (
            {"kind": "create", "params": {"environment_file": "sub/env.yaml", "environment": "x"}},
            "exactly one of",
        ),
        ({"kind": "create", "params": {"environment": "name: [unclosed"}}, "not valid YAML"),
        ({"kind": "create", "params": {"from_lock": "file:///etc/passwd"}}, "configured store"),
        ({"kind": "create", "params": {"from_lock": "../outside.yaml"}}, "outside"),
        ({"kind": "create", "params": {"environment": "   "}}, "text of an environment"),
    ]
    for body, message in cases:
        code, error = await api.error("POST", "jobs", body)
        assert code == 400, (body, error)
        assert message in error["message"] + error["hint"], (body, error)
    response = await api.fetch(
        "conda-pack-ext", "jobs", method="POST", body="{not json", raise_error=False
    )
    assert response.code == 400
    _, listing = await api.call("GET", "jobs")
    assert listing["jobs"] == []


async def test_unknown_jobs_and_bad_queries(api):
    code, error = await api.error("GET", "jobs/0123abcd")
    assert code == 404 and "0123abcd" in error["message"]
    code, _ = await api.error("DELETE", "jobs/0123abcd")
    assert code == 404
    code, error = await api.error("GET", "jobs", state="sleeping")
    assert code == 400 and "unknown state" in error["message"]
    code, error = await api.error("GET", "jobs", limit="many")
    assert code == 400 and "limit" in error["message"]


# ---- jobs over real operations ------------------------------------------------------------


@pytest.fixture
def pack_file(conda_channel, tmp_path_factory):
    """A real pack (conda-pack of an env with python, ipykernel and a prefix-recording
    package from the local channel), made once per test that needs it."""
    from tests.support.packs import make_pack

    work = tmp_path_factory.mktemp("pack")
    return make_pack(conda_channel, work, "restdemo_v1_0")


async def test_install_over_rest_then_run_its_kernel(
    api, jp_fetch, jp_serverapp, pack_file, pack_folder
):
    events = []

    async def listener(logger, schema_id, data):
        events.append(data)

    jp_serverapp.event_logger.add_listener(schema_id=JOB_EVENT_SCHEMA_ID, listener=listener)
    job = await api.run("install", conda_uri=str(pack_file), conda_pack_folder=str(pack_folder))
    prefix = pack_folder / "restdemo_v1_0"
    assert job["result"]["prefix"] == str(prefix)
    assert job["slug"] == "restdemo_v1_0"
    assert job["log_total"] > 0 and job["phase"]
    assert leftovers(pack_folder) == ["restdemo_v1_0"]

    # live updates: schema-valid, in order, ending with the final state
    await asyncio.sleep(0.5)
    schema = EventSchema(Path(JOB_EVENT_SCHEMA_PATH))
    mine = [e for e in events if e["id"] == job["id"]]
    for event in mine:
        schema.validate(event)
    assert mine[-1]["state"] == "succeeded"
    assert [line for e in mine for line in e["log"]] == job["log"]

    # the env is listed, installed, with its kernel
    _, envs = await api.call("GET", "envs", conda_pack_folder=str(pack_folder))
    (env,) = [e for e in envs["envs"] if e["slug"] == "restdemo_v1_0"]
    assert "installed" in env["states"]
    assert env["create_date"]  # from the manifest: the panel's cards show it
    (kernel_name,) = env["kernels"]

    # the kernel appears in Jupyter's kernelspecs and runs code in the env
    assert await kernel_sys_prefix(jp_fetch, jp_serverapp, kernel_name) == str(prefix)

    # uninstall removes the env and its kernel
    await api.run("uninstall", slug="restdemo_v1_0", conda_pack_folder=str(pack_folder))
    assert not prefix.exists()
    specs = json.loads((await jp_fetch("api", "kernelspecs")).body)["kernelspecs"]
    assert kernel_name not in specs


async def kernel_sys_prefix(jp_fetch, server_app, kernel_name: str) -> str:
    """Start a kernel listed in Jupyter's kernelspecs through the REST API, as the
    launcher does, and return the sys.prefix it prints."""
    specs = json.loads((await jp_fetch("api", "kernelspecs")).body)["kernelspecs"]
    assert kernel_name in specs
    response = await jp_fetch(
        "api", "kernels", method="POST", body=json.dumps({"name": kernel_name})
    )
    kernel_id = json.loads(response.body)["id"]
    try:
        return (await execute(server_app, kernel_id, "import sys; print(sys.prefix)")).strip()
    finally:
        await jp_fetch("api", "kernels", kernel_id, method="DELETE")


async def execute(server_app, kernel_id: str, code: str) -> str:
    """Run `code` in a kernel the server started; returns what it printed."""
    kernel = server_app.kernel_manager.get_kernel(kernel_id)
    client = kernel.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=120)
        output = []

        def on_output(message):
            if message["msg_type"] == "stream":
                output.append(message["content"]["text"])

        reply = await client.execute_interactive(code, output_hook=on_output, timeout=60)
        assert reply["content"]["status"] == "ok"
        return "".join(output)
    finally:
        client.stop_channels()


async def test_a_second_job_on_the_same_slug_gets_409(api, pack_file, pack_folder):
    first = await api.submit(
        "install", conda_uri=str(pack_file), conda_pack_folder=str(pack_folder)
    )
    code, error = await api.error(
        "POST", "jobs", {"kind": "uninstall", "params": {"slug": "restdemo_v1_0"}}
    )
    assert code == 409
    assert "restdemo_v1_0" in error["message"] and first["id"] in error["hint"]
    await api.wait(first["id"])
    # the slug is free once the first job has ended
    await api.run("uninstall", slug="restdemo_v1_0", conda_pack_folder=str(pack_folder))


async def test_listing_jobs_newest_first_with_filters(api, pack_file, pack_folder):
    install = await api.run("install", conda_uri=str(pack_file), conda_pack_folder=str(pack_folder))
    uninstall = await api.run("uninstall", slug="restdemo_v1_0", conda_pack_folder=str(pack_folder))
    _, listing = await api.call("GET", "jobs")
    assert [j["id"] for j in listing["jobs"]] == [uninstall["id"], install["id"]]
    assert "log" not in listing["jobs"][0]
    _, listing = await api.call("GET", "jobs", kind="install", state="succeeded")
    assert [j["id"] for j in listing["jobs"]] == [install["id"]]
    _, listing = await api.call("GET", "jobs", slug="restdemo_v1_0", limit="1")
    assert [j["id"] for j in listing["jobs"]] == [uninstall["id"]]
    # the log can be read from any line on
    job = await api.job(install["id"], log_offset=2)
    assert job["log_offset"] == 2 and job["log"] == install["log"][2:]


# ---- history across restarts --------------------------------------------------------------


@pytest.fixture
def job_running_when_the_server_died(history_db, pack_folder):
    """A history database in which `create -o` was running when the server died: the
    half-built env at its final path, create's marker, and the previous env set aside."""
    (pack_folder / "deadenv_v1" / "conda-meta").mkdir(parents=True)
    (pack_folder / ".deadenv_v1.building").write_text("12345")
    previous = pack_folder / ".deadenv_v1.previous"
    (previous / "conda-meta").mkdir(parents=True)
    (previous / "the-old-env").write_text("still here")
    record = running_job_record(
        "0000dead",
        "create",
        {"environment_file": "env.yaml", "conda_pack_folder": str(pack_folder)},
        "deadenv_v1",
        created=time.time() - 30,
        started=time.time() - 29,
    )
    write_history(history_db, record)
    return pack_folder


async def test_a_job_running_at_shutdown_is_interrupted_after_restart(
    job_running_when_the_server_died, api
):
    pack_folder = job_running_when_the_server_died
    job = await api.job("0000dead")
    assert job["state"] == "interrupted"
    assert job["error"]["code"] == "interrupted"
    assert job["log"][:2] == ["solving", "linking"]
    assert "partial build" in job["log"][-1]
    # the partial build is gone and the env from before the job is back
    assert leftovers(pack_folder) == ["deadenv_v1"]
    assert (pack_folder / "deadenv_v1" / "the-old-env").read_text() == "still here"
    _, listing = await api.call("GET", "jobs", state="interrupted")
    assert [j["id"] for j in listing["jobs"]] == ["0000dead"]


# ---- the full flow: create, publish, install into another folder ---------------------------


async def test_create_publish_install_flow(
    api, jp_fetch, jp_serverapp, jp_root_dir, conda_channel, tmp_path
):
    builds, installs = tmp_path / "builds", tmp_path / "installs"
    store = (tmp_path / "store").as_uri()
    env_file = write_env_file(
        jp_root_dir, "flowenv", "1.0", channel=conda_channel, slug="flowenv_v1_0"
    )
    created = await api.run("create", environment_file=env_file.name, conda_pack_folder=str(builds))
    assert created["slug"] == "flowenv_v1_0"
    assert (builds / "flowenv_v1_0" / "conda-meta").is_dir()

    published = await api.run(
        "publish", slug="flowenv_v1_0", conda_pack_folder=str(builds), conda_pack_os_prefix=store
    )
    _, listing = await api.call("GET", "published", prefix=store)
    assert [p["slug"] for p in listing["packs"]] == ["flowenv_v1_0"]
    _, envs = await api.call("GET", "envs", conda_pack_folder=str(builds))
    (env,) = envs["envs"]
    assert {"built", "packed"} <= set(env["states"])

    installed = await api.run(
        "install",
        conda_uri=published["result"]["uri"],
        conda_pack_folder=str(installs),
        conda_pack_os_prefix=store,
    )
    prefix = installs / "flowenv_v1_0"
    assert installed["result"]["prefix"] == str(prefix)
    kernel_name = installed["result"]["kernels"][0]
    assert await kernel_sys_prefix(jp_fetch, jp_serverapp, kernel_name) == str(prefix)


async def test_environment_text_and_cancel_during_a_build(
    api, jp_root_dir, conda_channel, pack_folder, tmp_path
):
    text = yaml.safe_dump(
        {
            "name": "cancelme",
            "channels": [str(conda_channel)],
            "dependencies": ["python", "ipykernel"],
        }
    )
    params = {"environment": text, "conda_pack_folder": str(pack_folder)}
    first = await api.run("create", **params)
    assert first["slug"] == "cancelme_v1_0"
    prefix = pack_folder / "cancelme_v1_0"
    manifest_before = (prefix / "cancelme_v1_0_manifest.yaml").read_text()
    files_before = sorted(str(p.relative_to(prefix)) for p in prefix.rglob("*"))

    # rebuild it (-o) with a pip package that never finishes building; cancel it there
    slow = write_slow_project(tmp_path / "slow-project")
    rebuild = {
        "environment": yaml.safe_dump(
            {
                "name": "cancelme",
                "channels": [str(conda_channel)],
                "dependencies": ["python", "ipykernel", "pip", {"pip": [str(slow)]}],
            }
        ),
        "conda_pack_folder": str(pack_folder),
    }
    job = await api.submit("create", overwrite=True, **rebuild)
    code, error = await api.error("POST", "jobs", {"kind": "create", "params": params})
    assert code == 409 and job["id"] in error["hint"]
    await api.wait(job["id"], until=lambda j: j["phase"] == "pip" or j["state"] in FINISHED)
    await api.call("DELETE", f"jobs/{job['id']}")
    job = await api.wait(job["id"], timeout=60)
    assert job["state"] == "cancelled", job["error"]
    # the env from before the cancelled job is back, as it was; nothing else is left
    assert leftovers(pack_folder) == ["cancelme_v1_0"]
    assert (prefix / "cancelme_v1_0_manifest.yaml").read_text() == manifest_before
    assert sorted(str(p.relative_to(prefix)) for p in prefix.rglob("*")) == files_before


# ---- Object Storage: publish, install from it, cancel an upload ----------------------------


@pytest.fixture
def oci_params(object_storage, oci_config_file):
    """Job params that reach the loopback Object Storage server as oci://packs@testns/conda."""
    return {
        "conda_pack_os_prefix": "oci://packs@testns/conda",
        "os_endpoint": object_storage.endpoint,
        "oci_config": str(oci_config_file),
        "auth": "api_key",
    }


async def test_publish_to_object_storage_then_cancel_a_republish(
    api, jp_fetch, object_storage, oci_params, pack_file, pack_folder, tmp_path, fast_retries
):
    # an env in the pack folder (installed from a real pack), published to Object Storage
    await api.run("install", conda_uri=str(pack_file), conda_pack_folder=str(pack_folder))
    published = await api.run(
        "publish", slug="restdemo_v1_0", conda_pack_folder=str(pack_folder), **oci_params
    )
    uri = published["result"]["uri"]
    assert uri.startswith("oci://packs@testns/conda/cpu/")
    # the published list reads the store from the settings
    code, error = await api.error("GET", "published", prefix=oci_params["conda_pack_os_prefix"])
    assert error["code"] == "auth_error"  # no OCI config at ~/.oci/config
    await api.call("PUT", "config", oci_params)
    _, listing = await api.call("GET", "published", rescan="1")
    assert [p["slug"] for p in listing["packs"]] == ["restdemo_v1_0"]

    # installed from Object Storage into another folder
    other = tmp_path / "other-folder"
    installed = await api.run(
        "install", conda_uri=uri, conda_pack_folder=str(other), no_kernel=True, **oci_params
    )
    assert installed["result"]["prefix"] == str(other / "restdemo_v1_0")

    # a slow install from Object Storage, cancelled mid-download, leaves nothing behind
    object_storage.bandwidth = 200_000
    third = tmp_path / "third-folder"
    job = await api.submit("install", conda_uri=uri, conda_pack_folder=str(third), **oci_params)
    await api.wait(job["id"], until=lambda j: j["progress"]["done"] > 0 or j["state"] in FINISHED)
    await api.call("DELETE", f"jobs/{job['id']}")
    job = await api.wait(job["id"], timeout=60)
    assert job["state"] == "cancelled", job["error"]
    assert leftovers(third) == []
    specs = json.loads((await jp_fetch("api", "kernelspecs")).body)["kernelspecs"]
    assert not [name for name, spec in specs.items() if str(third) in json.dumps(spec)]
    object_storage.bandwidth = None

    # a slow re-publish in small parts, cancelled mid-upload, leaves the store as it was
    names_before = object_storage.object_names("packs")
    key = uri.removeprefix("oci://packs@testns/")
    data_before = object_storage.object_bytes("packs", key)
    await api.call("PUT", "config", {"part_size_mb": 1, "parallelism": 1})
    object_storage.bandwidth = 2_000_000
    job = await api.submit(
        "publish",
        slug="restdemo_v1_0",
        overwrite=True,
        conda_pack_folder=str(pack_folder),
        **oci_params,
    )
    await api.wait(
        job["id"],
        until=lambda j: (
            (j["phase"] == "uploading" and j["progress"]["done"] > 0) or j["state"] in FINISHED
        ),
    )
    await api.call("DELETE", f"jobs/{job['id']}")
    job = await api.wait(job["id"])
    assert job["state"] == "cancelled", job["error"]
    assert object_storage.pending_uploads() == []
    assert object_storage.object_names("packs") == names_before
    assert object_storage.object_bytes("packs", key) == data_before
