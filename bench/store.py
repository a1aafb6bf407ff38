"""Publish and install through Object Storage: conda-pack-ext against ADS's way.

Runs the test suite's Object Storage server in its own process, throttled per connection
(default 50 MB/s, a remote link), and the benchmark env of bench/pack.py (python plus
`cpe-large`, at least 300 MB of real files). Every run is a fresh process:
  publish  ours  `conda-pack-ext publish -s SLUG -o` with no current pack (pack + upload)
           ads   conda_pack.pack(compress_level=7, n_threads=-1, ignore_missing_files=True),
                 then a multipart upload in 11 parts, one thread each (ADS's uploader)
  install  ours  `conda-pack-ext install -s SLUG` (parallel ranged GETs streamed into the
                 extraction, sha256 checked, conda-unpack)
           ads   one GET streamed to a file, `tar -xf`, then conda-unpack
Targets: ours <= 0.5x ADS's time for each.

Usage: python bench/store.py [--runs 1] [--size-mb 300] [--bandwidth-mb 50] [--work DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from conda_pack_ext.pack import pack_path  # noqa: E402
from conda_pack_ext.settings import write_config  # noqa: E402

BUCKET, NAMESPACE, PREFIX = "packs", "benchns", "conda"

# ADS's publish after its pack: create the upload, one thread per part, commit.
ADS_PUBLISH = r"""
import json, os, sys, threading, oci, conda_pack
prefix, output, config_file, endpoint, ns, bucket, key = sys.argv[1:8]
conda_pack.pack(prefix=prefix, output=output, compress_level=7, n_threads=-1,
                ignore_missing_files=True, force=True)
config = oci.config.from_file(config_file)
client = oci.object_storage.ObjectStorageClient(config, service_endpoint=endpoint)
models = oci.object_storage.models
details = models.CreateMultipartUploadDetails(
    object=key, metadata={"opc-meta-manifest": json.dumps({"slug": os.path.basename(key)})})
upload = client.create_multipart_upload(ns, bucket, details).data
size = os.path.getsize(output)
chunk = size // 10 // 4096 * 4096  # ADS: size // parts, rounded to the mmap granularity
parts, threads = [], []
def send(number, offset, length):
    with open(output, "rb") as source:
        source.seek(offset)
        data = source.read(length)
    response = client.upload_part(ns, bucket, key, upload.upload_id, number, data)
    parts.append(models.CommitMultipartUploadPartDetails(part_num=number,
                                                         etag=response.headers["etag"]))
for number, offset in enumerate(range(0, size, chunk), 1):
    threads.append(threading.Thread(target=send,
                                    args=(number, offset, min(chunk, size - offset))))
    threads[-1].start()
for thread in threads:
    thread.join()
client.commit_multipart_upload(ns, bucket, key, upload.upload_id,
                               models.CommitMultipartUploadDetails(parts_to_commit=parts))
print(len(parts))
"""

# ADS's install: one GET streamed to a file, then tar and conda-unpack.
ADS_DOWNLOAD = r"""
import shutil, sys, oci
config_file, endpoint, ns, bucket, key, output = sys.argv[1:7]
config = oci.config.from_file(config_file)
client = oci.object_storage.ObjectStorageClient(config, service_endpoint=endpoint)
response = client.get_object(ns, bucket, key)
with open(output, "wb") as out:
    shutil.copyfileobj(response.data.raw, out, 1 << 20)
"""


def bench_pack_module():
    """bench/pack.py, which builds (or reuses) the benchmark env."""
    spec = importlib.util.spec_from_file_location("bench_pack", REPO / "bench" / "pack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(bandwidth_mb: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.support.object_storage", "--port", str(port),
         "--namespace", NAMESPACE, "--bucket", BUCKET, "--bandwidth-mb", str(bandwidth_mb)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    server.stdout.readline()  # "object storage on ..." once it listens
    return server, f"http://127.0.0.1:{port}"


def write_oci_config(work: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = work / "oci" / "key.pem"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    config = work / "oci" / "config"
    config.write_text(
        "[DEFAULT]\nuser=ocid1.user.oc1..bench\n"
        "fingerprint=aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99\n"
        f"tenancy=ocid1.tenancy.oc1..bench\nregion=us-ashburn-1\nkey_file={key_file}\n"
    )
    return config


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--bandwidth-mb", type=float, default=50)
    parser.add_argument("--work", default=str(REPO / ".cache" / "bench-store"))
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    settings, prefix = bench_pack_module().prepare(work, args.size_mb)
    slug = prefix.name
    oci_config = write_oci_config(work)
    server, endpoint = start_server(args.bandwidth_mb)
    env = dict(os.environ, ADS_OPS_CONFIG_DIR=str(work / "ads"))
    write_config(
        {
            "conda_pack_os_prefix": f"oci://{BUCKET}@{NAMESPACE}/{PREFIX}",
            "os_endpoint": endpoint,
            "oci_config": str(oci_config),
            "auth": "api_key",
            "conda_pack_folder": str(settings.pack_folder),
        },
        str(work / "ads"),
    )
    cli = [sys.executable, "-m", "conda_pack_ext"]
    ads_key = f"{PREFIX}/cpu/ads/1/{slug}"
    times: dict[str, list[float]] = {"publish ours": [], "publish ads": [],
                                     "install ours": [], "install ads": []}  # fmt: skip
    try:
        for run in range(args.runs):
            # publish: no current pack, so both sides pack and upload
            for stale in pack_path(settings, slug).parent.glob(f"{slug}.tar.gz*"):
                stale.unlink()
            times["publish ours"].append(timed([*cli, "publish", "-s", slug, "-o"], env))
            ads_pack = work / "ads.tar.gz"
            times["publish ads"].append(
                timed(
                    [
                        sys.executable,
                        "-c",
                        ADS_PUBLISH,
                        str(prefix),
                        str(ads_pack),
                        str(oci_config),
                        endpoint,
                        NAMESPACE,
                        BUCKET,
                        ads_key,
                    ],
                    env,
                )  # fmt: skip
            )
            # install into empty folders; removing them is not timed
            target = work / "installed"
            shutil.rmtree(target, ignore_errors=True)
            times["install ours"].append(
                timed([*cli, "install", "-s", slug, "--conda-pack-folder", str(target)], env)
            )
            shutil.rmtree(target, ignore_errors=True)
            ads_target = target / slug
            ads_target.mkdir(parents=True)
            download = work / "ads-download.tar.gz"
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", ADS_DOWNLOAD, str(oci_config), endpoint,
                            NAMESPACE, BUCKET, ads_key, str(download)], check=True, env=env)  # fmt: skip
            subprocess.run(["tar", "-xf", str(download), "-C", str(ads_target)], check=True)
            subprocess.run([str(ads_target / "bin" / "python"),
                            str(ads_target / "bin" / "conda-unpack")], check=True)  # fmt: skip
            times["install ads"].append(time.perf_counter() - started)
            shutil.rmtree(target, ignore_errors=True)
            download.unlink()
            line = "  ".join(f"{name} {values[-1]:.1f}s" for name, values in times.items())
            print(f"run {run + 1}: {line}", flush=True)
    finally:
        server.terminate()
        server.wait()
    median = {name: statistics.median(values) for name, values in times.items()}
    pack_mb = pack_path(settings, slug).stat().st_size / 1e6
    print(f"\nenv {prefix}, our pack {pack_mb:.0f} MB, {args.bandwidth_mb:g} MB/s per connection")
    for action in ("publish", "install"):
        ours, ads = median[f"{action} ours"], median[f"{action} ads"]
        verdict = "met" if ours <= 0.5 * ads else "NOT met"
        print(f"{action:8} ours {ours:6.1f}s  ads {ads:6.1f}s  ratio {ours / ads:.2f}"
              f"  (target <= 0.5: {verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
