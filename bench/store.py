"""Publish and install through Object Storage: conda-pack-ext against ADS's way, and an
install from the store against the same install from the local file.

Runs the test suite's Object Storage server in its own process, throttled per connection
(default 50 MB/s, a remote link), on the benchmark envs (bench/envs.py: base, files, large;
shared with bench/install.py through --work). Every run is a fresh process; the sides
alternate which goes first:
  install  local ours  `conda-pack-ext install -u PACK` of the env's pack file (what the
                       store holds), into a fresh folder
           store ours  `conda-pack-ext install -s SLUG` (parallel ranged GETs streamed into
                       the extraction, sha256 checked, relocation) into a fresh folder
           ads         one GET streamed to a file, `tar -xf`, then conda-unpack
  publish  ours  `conda-pack-ext publish -s SLUG -o` with no current pack (pack + upload)
           ads   conda_pack.pack(compress_level=7, n_threads=-1, ignore_missing_files=True),
                 then a multipart upload in 11 parts, one thread each (ADS's uploader)
ADS's sides and publishing run on the envs of --ads-envs only (default base: ADS packs the
large env in minutes); there the env's pack is made again by each `publish ours`.
Targets: on the ADS envs, ours <= 0.5x ADS's time for publish and install; on the large
env, the install from the store <= 1.1x the local install (the download hides behind the
extraction).

`--overlap-envs large` (the default) first times, per env, `pack -s SLUG -o` against
`publish -s SLUG -o` with no current pack, alternating, in the same run: publish uploads the
pack while it is written, so it should take little longer than the packing alone. Target:
publish <= 1.15x pack. `--overlap-runs 0` skips it; `--envs ""` runs only it.

`--sweep` then times, on the first env, our upload of the existing pack (publish with a
current pack) and our install for a grid of part sizes and parallelism (config.ini's
part_size_mb and parallelism), alternating passes, to choose the defaults from;
`--runs 0 --sweep` only sweeps.

Usage: python bench/store.py [--envs base,large] [--ads-envs base] [--runs 3]
                             [--overlap-envs large] [--overlap-runs 2]
                             [--sweep [--sweep-runs 2]] [--bandwidth-mb 50] [--work DIR]
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
    Folders,
    load_note,
    measured,
    median,
    run,
    timed,
    verdict,
    wait_after_deletions,
)
from envs import KINDS, prepare_env  # noqa: E402

from conda_pack_ext.pack import find_pack, pack_env, pack_path  # noqa: E402
from conda_pack_ext.settings import Settings, write_config  # noqa: E402

BUCKET, NAMESPACE, PREFIX = "packs", "benchns", "conda"
TARGET = 0.5
STORE_VS_LOCAL_TARGET = 1.1  # on the large env
OVERLAP_TARGET = 1.15  # publish without a current pack against pack alone
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
    """The server's config and the timed actions on one env."""

    def __init__(self, work: Path, settings: Settings, prefix: Path, endpoint: str):
        self.work, self.settings, self.prefix, self.endpoint = work, settings, prefix, endpoint
        self.slug = prefix.name
        self.oci_config = write_oci_config(work)
        # not the envs' own ads folder: that one serves the other benches
        self.config_dir = work / "store" / "ads"
        self.env = dict(os.environ, ADS_OPS_CONFIG_DIR=str(self.config_dir))
        self.cli = [sys.executable, "-m", "conda_pack_ext"]
        # another slug: our publish -o removes every other object of its own slug
        self.ads_key = f"{PREFIX}/cpu/ads/1/ads_{self.slug}"
        self.ads_pack = work / "store" / "ads.tar.gz"
        self.folders = Folders(work / "store" / "installs")
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

    def pack(self) -> Path:
        """The env's current pack, made if there is none."""
        return find_pack(self.settings, self.slug) or Path(
            pack_env(self.settings, self.slug, overwrite=True)["pack_path"]
        )

    def publish_ours(self, repack: bool = True) -> None:
        if repack:  # no current pack: publish packs, then uploads
            for stale in pack_path(self.settings, self.slug).parent.glob(f"{self.slug}.tar.gz*"):
                stale.unlink()
        run([*self.cli, "publish", "-s", self.slug, "-o"], self.env)

    def publish_ads(self) -> None:
        run([sys.executable, "-c", ADS_PUBLISH, str(self.prefix), str(self.ads_pack),
             str(self.oci_config), self.endpoint, NAMESPACE, BUCKET, self.ads_key], self.env)  # fmt: skip

    def install_store(self) -> tuple[float, float]:
        folder = self.folders.new("store")
        return measured([*self.cli, "install", "-s", self.slug, "--conda-pack-folder",
                         str(folder)], self.env)  # fmt: skip

    def install_local(self) -> tuple[float, float]:
        folder = self.folders.new("local")
        return measured([*self.cli, "install", "-u", str(self.pack()), "--conda-pack-folder",
                         str(folder)], self.env)  # fmt: skip

    def install_ads(self) -> None:
        target = self.folders.new("ads") / self.slug
        target.mkdir(parents=True)
        download = self.work / "store" / "ads-download.tar.gz"
        run([sys.executable, "-c", ADS_DOWNLOAD, str(self.oci_config), self.endpoint,
             NAMESPACE, BUCKET, self.ads_key, str(download)], self.env)  # fmt: skip
        run(["tar", "-xf", str(download), "-C", str(target)])
        run([str(target / "bin" / "python"), str(target / "bin" / "conda-unpack")])
        download.unlink()


def compare(bench: Bench, runs: int, ads: bool) -> dict[str, float]:
    """Alternating runs of the sides (ADS's and publishing only if `ads`); the medians, and
    the peak RSS of the installs as `<name> rss`."""
    installs = {"install local": bench.install_local, "install store": bench.install_store}
    others = {}
    if ads:
        installs["install ads"] = lambda: (timed(bench.install_ads), 0.0)
        others = {"publish ours": bench.publish_ours, "publish ads": bench.publish_ads}
    times: dict[str, list[float]] = {name: [] for name in [*others, *installs]}
    peaks: dict[str, float] = {}
    for round_number in range(runs):
        for group in (others, installs):
            names = list(group) if round_number % 2 == 0 else list(reversed(group))
            for name in names:
                if group is installs:
                    os.sync()
                    seconds, rss = group[name]()
                    peaks[f"{name} rss"] = max(rss, peaks.get(f"{name} rss", 0.0))
                else:
                    seconds = timed(group[name])
                times[name].append(seconds)
        line = "  ".join(f"{name} {values[-1]:5.1f}s" for name, values in times.items())
        print(f"  run {round_number + 1}: {line}", flush=True)
    return {name: median(values) for name, values in times.items()} | peaks


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
            install = bench.install_store()[0]
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


def bench_env(kind: str, endpoint: str, args, ads: bool) -> tuple[Bench, dict, list[str]]:
    """One env's runs: (its bench, the medians, its verdict lines)."""
    work = Path(args.work).absolute()
    settings, prefix = prepare_env(work, kind)
    bench = Bench(work, settings, prefix, endpoint)
    bench.folders.remove()  # leftovers of an interrupted run
    wait_after_deletions()
    pack = bench.pack()
    print(f"\n== {kind}: pack {pack.stat().st_size / 1e6:.0f} MB ({load_note()})", flush=True)
    bench.publish_ours(repack=False)  # the object to read
    if ads:
        bench.publish_ads()
    medians: dict[str, float] = {}
    try:
        if args.runs:
            medians = compare(bench, args.runs, ads)
    finally:
        bench.folders.remove()
    if not medians:
        return bench, medians, []
    local, store = medians["install local"], medians["install store"]
    print(f"{'':16}{'time':>9}{'peak RSS':>10}{'/local':>8}" + (f"{'/ADS':>7}" if ads else ""))
    for name in ("install local", "install store", "install ads"):
        if name in medians:
            line = (f"{name:16}{medians[name]:8.2f}s{medians.get(name + ' rss', 0):8.0f}MB"
                    f"{medians[name] / local:8.2f}")  # fmt: skip
            if ads:
                line += f"{medians[name] / medians['install ads']:7.2f}"
            print(line)
    lines = []
    if ads:
        for action in ("publish", "install"):
            ours = medians["publish ours" if action == "publish" else "install store"]
            ratio = ours / medians[f"{action} ads"]
            if action == "publish":
                print(f"publish ours {ours:.2f}s, ADS {medians['publish ads']:.2f}s")
            lines.append(verdict(f"{kind} {action} via the store vs ADS", ratio, TARGET))
    if kind == "large":
        lines.append(
            verdict(f"{kind} install from the store vs local", store / local, STORE_VS_LOCAL_TARGET)
        )
    else:
        print(f"(store / local on {kind}: {store / local:.2f}x)")
    return bench, medians, lines


def publish_overlap(work: Path, kind: str, runs: int, endpoint: str) -> list[str]:
    """`pack -s SLUG -o` against `publish -s SLUG -o` without a current pack, alternating,
    on one env of envs.py; prints both and returns the verdict line."""
    settings, prefix = prepare_env(work, kind)
    slug = prefix.name
    bench = Bench(work, settings, prefix, endpoint)
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
    parser.add_argument("--envs", default="base,large", help=f"of {', '.join(KINDS)}")
    parser.add_argument("--ads-envs", default="base", help="envs that also run ADS's sides")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sweep", action="store_true", help="also sweep part size/parallelism")
    parser.add_argument("--sweep-runs", type=int, default=2, help="passes over the sweep grid")
    parser.add_argument("--bandwidth-mb", type=float, default=50)
    parser.add_argument("--overlap-envs", default="large", help="publish vs pack alone on these")
    parser.add_argument("--overlap-runs", type=int, default=2)
    parser.add_argument("--work", default=str(REPO / ".cache" / "bench"))
    args = parser.parse_args()
    ads_envs = set(filter(None, args.ads_envs.split(",")))
    server, endpoint = start_server(args.bandwidth_mb)
    print(
        f"{args.bandwidth_mb:g} MB/s per connection, {os.cpu_count()} CPUs, {args.runs} runs "
        "each (medians)"
    )
    lines = []
    try:
        for kind in filter(None, args.overlap_envs.split(",")):
            if args.overlap_runs:
                lines += publish_overlap(Path(args.work), kind, args.overlap_runs, endpoint)
        for number, kind in enumerate(filter(None, args.envs.split(","))):
            bench, medians, env_lines = bench_env(kind, endpoint, args, kind in ads_envs)
            lines += env_lines
            if args.sweep and number == 0:
                try:
                    sweep(bench, args.sweep_runs, medians if "install ads" in medians else None)
                finally:
                    bench.folders.remove()
    finally:
        server.terminate()
        server.wait()
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
