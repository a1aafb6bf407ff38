"""`conda` as ADS calls it with NO_CONTAINER=1, for machines without conda:

- `conda env create --prefix P --file F` builds F into P with our rattler engine (the
  test channel named in F);
- `conda env export --prefix P` prints the env's name, channels and `name=version=build`
  dependencies from `P/conda-meta/*.json`, as conda does.

Anything else is refused with exit code 2, so a new call by ADS shows up at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import yaml


def create(prefix: Path, file: Path) -> None:
    from conda_pack_ext.engines.rattler_engine import build
    from conda_pack_ext.envfile import load_env_file
    from conda_pack_ext.progress import Progress

    prefix.mkdir(parents=True, exist_ok=True)
    build(load_env_file(file), prefix, add_kernel=False, gpu=False, progress=Progress())


def export(prefix: Path) -> str:
    records = [json.loads(p.read_text()) for p in sorted((prefix / "conda-meta").glob("*.json"))]
    channels = sorted({str(r.get("channel", "")).rstrip("/") for r in records} - {""})
    dependencies = [f"{r['name']}={r['version']}={r['build']}" for r in records]
    document = {"name": prefix.name, "channels": channels, "dependencies": dependencies}
    return yaml.safe_dump({**document, "prefix": str(prefix)}, sort_keys=False)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="conda")
    parser.add_argument("group", choices=["env"])
    parser.add_argument("action", choices=["create", "export"])
    parser.add_argument("--prefix", "-p", required=True, type=Path)
    parser.add_argument("--file", "-f", type=Path)
    args = parser.parse_args(argv)
    if args.action == "create":
        if not args.file:
            parser.error("env create needs --file")
        create(args.prefix, args.file)
    else:
        sys.stdout.write(export(args.prefix))
    return 0


if __name__ == "__main__":
    status = main(sys.argv[1:])
    sys.stdout.flush()
    # skip the interpreter's teardown, during which rattler's runtime threads may crash it
    os._exit(status)
