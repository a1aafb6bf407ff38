"""Container builds through a real Docker-API engine (Podman's service here), no mocks.

The image is made on the spot without a registry (tests/support/container_image.py): this
machine's Python with conda-pack-ext inside. The container has no network; the local test
channel is mounted into it. `create` builds and packs in containers; the pack is installed on
the host into another folder and its kernel runs code there.

Without an engine these tests skip locally, naming the Podman service; under `make pytest`
(CONDA_PACK_EXT_REQUIRE_CONTAINERS=1) and in CI they fail instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import threading
import time
from pathlib import Path

import pytest
import yaml

from conda_pack_ext.engines import container_engine
from conda_pack_ext.engines.container_engine import (
    ContainerRun,
    EngineUnreachable,
    ImageMissing,
    ImageUnusable,
)
from conda_pack_ext.envfile import load_env_file
from conda_pack_ext.errors import BuildFailed, Cancelled
from conda_pack_ext.manifest import read_manifest
from conda_pack_ext.progress import Progress
from conda_pack_ext.settings import Settings
from tests.support import container_image
from tests.support.channel import channel_url
from tests.support.progress import RecordingProgress

# A uid:gid that is not the test runner's: files must end up belonging to it.
OTHER_USER = (1000, 1000)


@pytest.fixture(scope="session")
def engine():
    """A Docker-API client; a skip (locally) or a failure (CI) when no engine answers."""
    try:
        return container_engine.connect(Settings())
    except EngineUnreachable as error:
        message = f"podman (Docker API) service not reachable: {error}"
        if os.environ.get("CONDA_PACK_EXT_REQUIRE_CONTAINERS") or os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def python_image(engine):
    return container_image.python_image(engine)


@pytest.fixture(scope="session")
def shell_image(engine):
    return container_image.shell_only_image(engine)


def write_env(folder: Path, channel: Path, dependencies: list[str], name: str = "boxed") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "environment.yaml"
    document = {
        "name": name,
        "channels": [channel_url(channel)],
        "dependencies": dependencies,
        "manifest": {"description": "built in a container"},
    }
    path.write_text(yaml.safe_dump(document))
    return path


def build_into(prefix: Path, env_file: Path, image, settings: Settings) -> dict:
    return container_engine.build(
        load_env_file(env_file),
        prefix,
        add_kernel=False,
        gpu=False,
        image=image,
        settings=settings,
        progress=Progress(),
    )


def leftover_containers(engine) -> list:
    return engine.containers.list(all=True, filters={"label": "conda-pack-ext"})


def run_in_kernel(kernel_name: str, code: str) -> str:
    """Start the kernel from its kernelspec, run `code`, return what it printed."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name=kernel_name, startup_timeout=60)
    output: list[str] = []
    try:
        reply = client.execute_interactive(
            code,
            timeout=60,
            output_hook=lambda msg: (
                output.append(msg["content"].get("text", ""))
                if msg["msg_type"] == "stream"
                else None
            ),
        )
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return "".join(output)


@pytest.mark.slow
def test_create_in_a_container_packs_an_env_that_installs_and_runs_elsewhere(
    engine, python_image, conda_channel, tmp_path, monkeypatch, capsys
):
    from conda_pack_ext.cli import main
    from conda_pack_ext.create import create_env
    from conda_pack_ext.install import LocalFileSource, install_pack
    from conda_pack_ext.pack import pack_info

    monkeypatch.setenv(container_engine.NETWORK_VARIABLE, "none")
    env_file = write_env(tmp_path / "envs", conda_channel, ["python", "ipykernel", "cpe-testapp"])
    settings = Settings(conda_pack_folder=str(tmp_path / "packs"), engine="container")
    progress = RecordingProgress()

    created = create_env(settings, env_file, version="2.0", image=python_image, progress=progress)

    slug = "boxed_v2_0"
    prefix = tmp_path / "packs" / slug
    assert created["slug"] == slug and created["engine"] == "container"
    manifest = yaml.safe_load((prefix / f"{slug}_manifest.yaml").read_text())["manifest"]
    assert manifest["slug"] == slug and manifest["description"] == "built in a container"
    assert any("solved" in line for line in progress.lines), progress.lines
    assert leftover_containers(engine) == []
    # The container packed it where `pack` puts packs, and the host recorded it as `pack` does.
    pack_path = tmp_path / "packs" / ".packs" / f"{slug}.tar.gz"
    assert created["pack_path"] == str(pack_path)
    assert created["sha256"] == hashlib.sha256(pack_path.read_bytes()).hexdigest()
    assert created["size"] == pack_path.stat().st_size
    assert any("packing..." in line for line in progress.lines), progress.lines
    sidecar = json.loads(pack_path.with_name(pack_path.name + ".json").read_text())
    assert (sidecar["sha256"], sidecar["size"]) == (created["sha256"], created["size"])
    manifest = read_manifest(prefix)["manifest"]
    assert (manifest["sha256"], manifest["size_mb"]) == (created["sha256"], created["size_mb"])
    # beside the pack: its sidecar, and the lock and SBOM it carries
    assert sorted(p.name for p in pack_path.parent.iterdir()) == [
        f"{slug}.cdx.json",
        f"{slug}.explicit.txt",
        pack_path.name,
        pack_path.name + ".json",
    ]
    with tarfile.open(pack_path) as tar:
        assert f"{slug}.explicit.txt" in tar.getnames()
        packed_manifest = yaml.safe_load(tar.extractfile(f"{slug}_manifest.yaml").read())
        assert "bin/conda-unpack" in tar.getnames()
    assert packed_manifest["manifest"]["slug"] == slug
    assert "sha256" not in packed_manifest["manifest"]  # a tarball cannot know its own checksum
    assert pack_info(settings, slug)["current"] is True
    # `pack -s` without -o finds the container's pack current and leaves it alone.
    capsys.readouterr()
    code = main(["pack", "-s", slug, "--conda-pack-folder", str(settings.pack_folder), "--json"])
    refused = capsys.readouterr()
    assert code != 0 and "already exists" in refused.out + refused.err
    assert hashlib.sha256(pack_path.read_bytes()).hexdigest() == created["sha256"]
    # The env was built at the host's own path and belongs to the host user.
    for path in (prefix, prefix / "bin" / "python", pack_path):
        assert (path.stat().st_uid, path.stat().st_gid) == (os.getuid(), os.getgid())

    installed = install_pack(
        LocalFileSource(pack_path), Settings(conda_pack_folder=str(tmp_path / "elsewhere"))
    )
    new_prefix = tmp_path / "elsewhere" / slug
    assert installed["prefix"] == str(new_prefix) and installed["kernels"]
    printed = run_in_kernel(
        installed["kernels"][0],
        "import sys, cpe_testapp, cpe_testlib\n"
        "print(sys.prefix)\n"
        "print(cpe_testlib.text_prefix())\n",
    )
    assert printed.split() == [str(new_prefix), str(new_prefix)]


@pytest.mark.slow
@pytest.mark.skipif(os.getuid() != 0, reason="handing a folder to uid 1000 needs root (chown)")
def test_files_belong_to_the_user_the_container_runs_as(
    engine, python_image, conda_channel, tmp_path, monkeypatch
):
    monkeypatch.setenv(container_engine.NETWORK_VARIABLE, "none")
    monkeypatch.setenv(container_engine.USER_VARIABLE, "{}:{}".format(*OTHER_USER))
    env_file = write_env(tmp_path / "envs", conda_channel, ["cpe-testlib"], name="owned")
    packs = tmp_path / "packs"
    packs.mkdir()
    os.chown(packs, *OTHER_USER)
    prefix = packs / "owned_v1_0"

    result = container_engine.build(
        load_env_file(env_file),
        prefix,
        add_kernel=False,
        gpu=False,
        image=python_image,
        settings=Settings(conda_pack_folder=str(packs)),
        progress=RecordingProgress(),
    )

    assert "cpe-testlib" in result["records"]
    written = [prefix, *(p for p in prefix.rglob("*") if not p.is_symlink())]
    assert {(p.lstat().st_uid, p.lstat().st_gid) for p in written} == {OTHER_USER}


@pytest.mark.slow
def test_an_image_with_only_conda_packs_with_conda_pack_as_ads_does(
    engine, python_image, conda_channel, tmp_path, monkeypatch
):
    from conda_pack_ext.lock import parse_lock
    from conda_pack_ext.manifest import read_manifest, write_manifest
    from conda_pack_ext.pack import pack_info

    monkeypatch.setenv(container_engine.NETWORK_VARIABLE, "none")
    env_file = write_env(tmp_path / "envs", conda_channel, ["python", "cpe-testlib"], name="ads")
    settings = Settings(conda_pack_folder=str(tmp_path / "packs"))
    prefix = tmp_path / "packs" / "ads_v1_0"
    build_into(prefix, env_file, python_image, settings)
    write_manifest(prefix, {"name": "ads", "manifest": {"slug": "ads_v1_0"}}, "ads_v1_0")
    progress = RecordingProgress()

    # The test image has conda-pack but no conda: take the conda branch of the pack step.
    packed = container_engine.pack(
        {"image": python_image, "builder": "conda"}, prefix, settings=settings, progress=progress
    )

    pack_path = Path(packed["pack_path"])
    assert pack_path == tmp_path / "packs" / ".packs" / "ads_v1_0.tar.gz"
    assert packed["sha256"] == hashlib.sha256(pack_path.read_bytes()).hexdigest()
    assert packed["compress_level"] == container_engine.ADS_COMPRESS_LEVEL
    assert pack_info(settings, "ads_v1_0")["current"] is True
    with tarfile.open(pack_path) as tar:
        names = tar.getnames()
    assert "ads_v1_0_manifest.yaml" in names and "bin/conda-unpack" in names
    # conda-pack writes no lock into its tarball: the env's lock and SBOM go beside it
    assert sorted(p.name for p in pack_path.parent.iterdir()) == [
        "ads_v1_0.cdx.json",
        "ads_v1_0.explicit.txt",
        pack_path.name,
        pack_path.name + ".json",
    ]
    lock = parse_lock((pack_path.parent / "ads_v1_0.explicit.txt").read_text())
    assert "cpe-testlib" in {p.name for p in lock.packages}
    manifest = read_manifest(prefix)["manifest"]
    assert manifest["lock_file"] == "ads_v1_0.explicit.txt" and manifest["lock_conda"] >= 2
    assert leftover_containers(engine) == []


def test_a_failing_pack_in_the_container_leaves_no_file_behind(
    engine, python_image, tmp_path, monkeypatch
):
    monkeypatch.setenv(container_engine.NETWORK_VARIABLE, "none")
    settings = Settings(conda_pack_folder=str(tmp_path / "packs"))
    prefix = tmp_path / "packs" / "empty_v1_0"
    (prefix / "conda-meta").mkdir(parents=True)  # an env without a manifest cannot be packed
    build_result = {"image": python_image, "builder": "conda-pack-ext", "interpreter": "python"}

    with pytest.raises(BuildFailed) as failure:
        container_engine.pack(build_result, prefix, settings=settings, progress=RecordingProgress())

    assert failure.value.exit_status == 1
    assert failure.value.to_dict()["exit_status"] == 1
    assert "manifest" in failure.value.hint
    assert list((tmp_path / "packs" / ".packs").iterdir()) == []
    assert leftover_containers(engine) == []


def test_a_failing_build_reports_its_exit_status_and_log_tail(
    engine, python_image, conda_channel, tmp_path, monkeypatch
):
    from conda_pack_ext.create import create_env

    monkeypatch.setenv(container_engine.NETWORK_VARIABLE, "none")
    env_file = write_env(tmp_path / "envs", conda_channel, ["python", "no-such-package-xyz"])
    settings = Settings(conda_pack_folder=str(tmp_path / "packs"), engine="container")

    with pytest.raises(BuildFailed) as failure:
        create_env(settings, env_file, image=python_image, progress=RecordingProgress())

    assert failure.value.exit_status == 1
    assert failure.value.to_dict()["exit_status"] == 1
    assert "no-such-package-xyz" in failure.value.hint
    assert not (tmp_path / "packs" / "boxed_v1_0").exists()
    assert leftover_containers(engine) == []


def test_an_image_without_conda_is_refused_with_what_it_lacks(
    engine, shell_image, tmp_path, monkeypatch
):
    env_file = tmp_path / "environment.yaml"
    env_file.write_text("name: bare\ndependencies: [python]\n")

    monkeypatch.setenv(container_engine.NETWORK_VARIABLE, "none")

    with pytest.raises(ImageUnusable) as refused:
        build_into(tmp_path / "packs" / "bare_v1_0", env_file, shell_image, Settings())

    assert "neither conda-pack-ext nor conda" in refused.value.message
    assert "--image" in refused.value.hint
    assert leftover_containers(engine) == []


def test_a_missing_image_says_how_to_get_it(engine, tmp_path):
    env_file = tmp_path / "environment.yaml"
    env_file.write_text("name: bare\ndependencies: [python]\n")

    with pytest.raises(ImageMissing) as missing:
        build_into(tmp_path / "bare", env_file, None, Settings(container_image="ml-job"))

    assert "ml-job" in missing.value.message
    assert "ads opctl build-image job-local" in missing.value.hint


def test_an_unreachable_engine_names_the_address_and_the_service(tmp_path):
    env_file = tmp_path / "environment.yaml"
    env_file.write_text("name: bare\ndependencies: [python]\n")
    address = f"unix://{tmp_path}/nothing.sock"

    with pytest.raises(EngineUnreachable) as unreachable:
        build_into(tmp_path / "bare", env_file, "ml-job", Settings(docker_host=address))

    assert address in unreachable.value.message
    assert "podman system service" in unreachable.value.hint
    assert unreachable.value.status == 503


def test_cancel_stops_and_removes_the_container(engine, python_image, tmp_path):
    progress = RecordingProgress()
    run = ContainerRun(
        engine, python_image, mounts={}, user="1000:1000", network_mode="none", progress=progress
    )
    errors: list[Exception] = []

    def build():
        try:
            run.script("echo started; exec python -c 'import time; time.sleep(300)'", what="wait")
        except Exception as error:  # the test checks which one
            errors.append(error)

    worker = threading.Thread(target=build)
    worker.start()
    deadline = time.monotonic() + 60
    while "started" not in progress.lines and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    progress.cancel_event.set()
    worker.join(60)

    assert not worker.is_alive() and time.monotonic() - started < 20
    assert [type(error) for error in errors] == [Cancelled]
    assert leftover_containers(engine) == []


def test_proxies_are_forwarded_without_their_credentials_reaching_the_log(
    engine, python_image, monkeypatch
):
    monkeypatch.setenv("HTTPS_PROXY", "http://builder:s3cret@proxy.example:3128")
    monkeypatch.setenv("no_proxy", "localhost,.internal")
    progress = RecordingProgress()
    run = ContainerRun(
        engine, python_image, mounts={}, user="1000:1000", network_mode="none", progress=progress
    )

    stdout = run.script('echo "$HTTPS_PROXY $no_proxy"', what="echo")

    assert "proxy.example:3128 localhost,.internal" in stdout
    assert progress.lines == ["http://***@proxy.example:3128 localhost,.internal"]
