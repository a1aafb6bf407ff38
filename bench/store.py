"""Publish and install through Object Storage: conda-pack-ext against ADS's way.

Runs the test suite's Object Storage server in its own process, throttled per connection
(default 50 MB/s, a remote link), and the benchmark env (python plus `cpe-large`, at least
300 MB of real files). Every run is a fresh process; the sides alternate which goes first:
  publish  ours  `conda-pack-ext publish -s SLUG -o` with no current pack (pack + upload)
           ads   conda_pack.pack(compress_level=7, n_threads=-1, ignore_missing_files=True),
                 then a multipart upload in 11 parts, one thread each (ADS's uploader)
  install  ours  `conda-pack-ext install -s SLUG` (parallel ranged GETs streamed into the
                 extraction, sha256 checked, conda-unpack) into a fresh folder
           ads   one GET streamed to a file, `tar -xf`, then conda-unpack
Targets: ours <= 0.5x ADS's time for each.

`--envs base,large` times, per env of bench/envs.py, `pack -s SLUG -o` against `publish -s
SLUG -o` with no current pack, alternating, in the same run: publish uploads the pack while
it is written, so it should take little longer than the packing alone. Target: publish
<= 1.15x pack. `--runs 0 --envs large` runs only that.

`--sweep` then times our upload of the existing pack (publish with a current pack) and
our install for a grid of part sizes and parallelism (config.ini's part_size_mb and
parallelism), alternating passes, to choose the defaults from; `--runs 0 --sweep` only
sweeps.

Usage: python bench/store.py [--runs 3] [--sweep [--sweep-runs 2]] [--size-mb 300]
                             [--envs large [--overlap-runs 2]] [--bandwidth-mb 50] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # noqa: E402
    REPO,
    SLUG,
    Folders,
    load_note,
    measured,
    median,
    prepare,
    run,
    timed,
    verdict,
    wait_after_deletions,
)
from envs import prepare_env  # noqa: E402

from conda_pack_ext.pack import pack_path  # noqa: E402
from conda_pack_ext.settings import Settings, write_config  # noqa: E402

BUCKET, NAMESPACE, PREFIX = "packs", "benchns", "conda"
TARGET = 0.5
OVERLAP_TARGET = 1.15
SWEEP_PART_SIZES_MB = (16, 32, 64)
SWEEP_PARALLELISM = (4, 8, 16)

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
    """An OCI config with a throwaway key: the local server checks signatures' shape only."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    config = work / "oci" / "config"
    if config.exists():
        return config
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
    config.write_text(
        "[DEFAULT]\nuser=ocid1.user.oc1..bench\n"
        "fingerprint=aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99\n"
        f"tenancy=ocid1.tenancy.oc1..bench\nregion=us-ashburn-1\nkey_file={key_file}\n"
    )
    return config


class Bench:
    """The server, the config and the four timed actions."""

    def __init__(self, work: Path, settings: Settings, prefix: Path, endpoint: str):
        self.work, self.settings, self.prefix, self.endpoint = work, settings, prefix, endpoint
        self.oci_config = write_oci_config(work)
        self.config_dir = work / "ads"
        self.env = dict(os.environ, ADS_OPS_CONFIG_DIR=str(self.config_dir))
        self.cli = [sys.executable, "-m", "conda_pack_ext"]
        # another slug: our publish -o removes every other object of its own slug
        self.ads_key = f"{PREFIX}/cpu/ads/1/ads_{SLUG}"
        self.ads_pack = work / "ads.tar.gz"
        self.folders = Folders(work / "installs")
        self.configure(Settings().part_size_mb, Settings().parallelism)

    def configure(self, part_size_mb: int, parallelism: int) -> None:
        write_config(
            {
                "conda_pack_os_prefix": f"oci://{BUCKET}@{NAMESPACE}/{PREFIX}",
                "os_endpoint": self.endpoint,
                "oci_config": str(self.oci_config),
                "auth": "api_key",
                "conda_pack_folder": str(self.settings.pack_folder),
                "part_size_mb": part_size_mb,
                "parallelism": parallelism,
            },
            str(self.config_dir),
        )

    def publish_ours(self, repack: bool = True) -> None:
        if repack:  # no current pack: publish packs, then uploads
            for stale in pack_path(self.settings, SLUG).parent.glob(f"{SLUG}.tar.gz*"):
                stale.unlink()
        run([*self.cli, "publish", "-s", SLUG, "-o"], self.env)

    def publish_ads(self) -> None:
        run([sys.executable, "-c", ADS_PUBLISH, str(self.prefix), str(self.ads_pack),
             str(self.oci_config), self.endpoint, NAMESPACE, BUCKET, self.ads_key], self.env)  # fmt: skip

    def install_ours(self) -> None:
        folder = self.folders.new("ours")
        run([*self.cli, "install", "-s", SLUG, "--conda-pack-folder", str(folder)], self.env)

    def install_ads(self) -> None:
        target = self.folders.new("ads") / SLUG
        target.mkdir(parents=True)
        download = self.work / "ads-download.tar.gz"
        run([sys.executable, "-c", ADS_DOWNLOAD, str(self.oci_config), self.endpoint,
             NAMESPACE, BUCKET, self.ads_key, str(download)], self.env)  # fmt: skip
        run(["tar", "-xf", str(download), "-C", str(target)])
        run([str(target / "bin" / "python"), str(target / "bin" / "conda-unpack")])
        download.unlink()


def compare(bench: Bench, runs: int) -> dict[str, float]:
    """Alternating runs of both sides; the medians."""
    times: dict[str, list[float]] = {
        "publish ours": [], "publish ads": [], "install ours": [], "install ads": []
    }  # fmt: skip
    actions = {
        "publish ours": bench.publish_ours,
        "publish ads": bench.publish_ads,
        "install ours": bench.install_ours,
        "install ads": bench.install_ads,
    }
    for round_number in range(runs):
        for action in ("publish", "install"):
            sides = ("ours", "ads") if round_number % 2 == 0 else ("ads", "ours")
            for side in sides:
                name = f"{action} {side}"
                times[name].append(timed(actions[name]))
        line = "  ".join(f"{name} {values[-1]:5.1f}s" for name, values in times.items())
        print(f"  run {round_number + 1}: {line}", flush=True)
    return {name: median(values) for name, values in times.items()}


def sweep(bench: Bench, runs: int, ads: dict[str, float] | None) -> None:
    """Our upload (current pack) and install for each part size and parallelism; medians
    of `runs` passes over the grid."""
    grid = [(part, parallel) for part in SWEEP_PART_SIZES_MB for parallel in SWEEP_PARALLELISM]
    times: dict[tuple[int, int], list[tuple[float, float]]] = {cell: [] for cell in grid}
    for sweep_run in range(runs):
        print(f"  sweep pass {sweep_run + 1} of {runs}", flush=True)
        for part_size_mb, parallelism in grid if sweep_run % 2 == 0 else reversed(grid):
            bench.configure(part_size_mb, parallelism)
            upload = timed(lambda: bench.publish_ours(repack=False))
            install = timed(bench.install_ours)
            times[(part_size_mb, parallelism)].append((upload, install))
    default = Settings()
    bench.configure(default.part_size_mb, default.parallelism)
    print(f"\nsweep: part size x parallelism, medians of {runs} pass(es)")
    header = f"{'part MB':>8}{'parallel':>9}{'upload s':>10}{'install s':>11}{'sum s':>8}"
    print(header + (f"{'install/ADS':>13}" if ads else ""))
    sums = {}
    for (part_size_mb, parallelism), values in times.items():
        upload = median([u for u, _ in values])
        install = median([i for _, i in values])
        sums[(part_size_mb, parallelism)] = upload + install
        line = (
            f"{part_size_mb:8}{parallelism:9}{upload:10.2f}{install:11.2f}{upload + install:8.2f}"
        )
        if ads:
            line += f"{install / ads['install ads']:13.2f}"
        mark = (
            "  <- default"
            if (part_size_mb, parallelism) == (default.part_size_mb, default.parallelism)
            else ""
        )
        print(line + mark)
    best = min(sums, key=sums.get)
    print(f"fastest upload + install: part {best[0]} MB, parallelism {best[1]}")


def publish_overlap(work: Path, kind: str, runs: int, endpoint: str) -> list[str]:
    """`pack -s SLUG -o` against `publish -s SLUG -o` without a current pack, alternating,
    on one env of envs.py; prints both and returns the verdict line."""
    settings, prefix = prepare_env(work, kind)
    slug = prefix.name
    bench = Bench(work / f"publish-{kind}", settings, prefix, endpoint)
    pack = [*bench.cli, "pack", "-s", slug, "-o", "--conda-pack-folder", str(settings.pack_folder)]
    publish = [*bench.cli, "publish", "-s", slug, "-o"]

    def no_current_pack() -> None:
        for stale in pack_path(settings, slug).parent.glob(f"{slug}.tar.gz*"):
            stale.unlink()

    print(f"\n== publish overlap, {kind}: {slug} ({load_note()})", flush=True)
    times: dict[str, list[float]] = {"pack": [], "publish": []}
    rss: dict[str, float] = {"pack": 0.0, "publish": 0.0}
    for number in range(runs):
        for side in ("pack", "publish") if number % 2 == 0 else ("publish", "pack"):
            no_current_pack()
            os.sync()
            seconds, peak = measured(pack if side == "pack" else publish, bench.env)
            times[side].append(seconds)
            rss[side] = max(rss[side], peak)
            print(f"  run {number + 1} {side:8}{seconds:8.2f} s  RSS {peak:6.0f} MB", flush=True)
    size_mb = pack_path(settings, slug).stat().st_size / 1e6
    pack_s, publish_s = median(times["pack"]), median(times["publish"])
    print(f"pack {size_mb:.0f} MB: pack {pack_s:.2f} s (RSS {rss['pack']:.0f} MB), publish "
          f"{publish_s:.2f} s (RSS {rss['publish']:.0f} MB), ratio {publish_s / pack_s:.2f}")  # fmt: skip
    return [verdict(f"{kind} publish vs pack alone", publish_s / pack_s, OVERLAP_TARGET)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sweep", action="store_true", help="also sweep part size/parallelism")
    parser.add_argument("--sweep-runs", type=int, default=2, help="passes over the sweep grid")
    parser.add_argument("--size-mb", type=int, default=300)
    parser.add_argument("--bandwidth-mb", type=float, default=50)
    parser.add_argument("--envs", default="", help="envs of envs.py: publish vs pack alone")
    parser.add_argument("--overlap-runs", type=int, default=2)
    parser.add_argument("--work", default=str(REPO / ".cache" / "bench-store"))
    args = parser.parse_args()
    work = Path(args.work).absolute()
    work.mkdir(parents=True, exist_ok=True)
    server, endpoint = start_server(args.bandwidth_mb)
    overlap: list[str] = []
    medians = None
    try:
        for kind in filter(None, args.envs.split(",")):
            overlap += publish_overlap(work, kind, args.overlap_runs, endpoint)
        if args.runs or args.sweep:
            settings, prefix = prepare(work, args.size_mb)
            bench = Bench(work, settings, prefix, endpoint)
            bench.folders.remove()  # leftovers of an interrupted run
            wait_after_deletions()
            try:
                bench.publish_ours(repack=not pack_path(settings, SLUG).exists())
                bench.publish_ads()
                if args.runs:
                    medians = compare(bench, args.runs)
                if args.sweep:
                    sweep(bench, args.sweep_runs, medians)
            finally:
                bench.folders.remove()
    finally:
        server.terminate()
        server.wait()
    if overlap:
        print()
        print("\n".join(overlap))
    if not medians:
        return
    pack_mb = pack_path(settings, SLUG).stat().st_size / 1e6
    print(
        f"\nenv {prefix}, our pack {pack_mb:.0f} MB, {args.bandwidth_mb:g} MB/s per "
        f"connection, {os.cpu_count()} CPUs, {args.runs} runs each (medians)"
    )
    print(f"{'':9}{'ours':>8}{'ADS':>8}{'ratio':>8}")
    for action in ("publish", "install"):
        ours, ads = medians[f"{action} ours"], medians[f"{action} ads"]
        print(f"{action:9}{ours:7.2f}s{ads:7.2f}s{ours / ads:8.2f}")
    print()
    for action in ("publish", "install"):
        ratio = medians[f"{action} ours"] / medians[f"{action} ads"]
        print(verdict(f"{action} via the store vs ADS", ratio, TARGET))


if __name__ == "__main__":
    main()
