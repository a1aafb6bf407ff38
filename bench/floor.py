"""The floors: what the same machine does in the same run with no per-file work of ours.

  pack     `tar -cf - -C <env> . | ISA-L gzip` at our level and thread count (python-isal's
           threaded writer, which our pack uses, fed from GNU tar's stream)
  install  the slower of: decompressing the pack to /dev/null (ISA-L, one thread, as our
           install does), and `tar -xf` of the already-decompressed tar into a fresh folder

Each function returns the command to time; bench/pack.py and bench/install.py run them
alternately with ours and the reference.
"""

from __future__ import annotations

import sys
from pathlib import Path

from conda_pack_ext.pack import BLOCK_SIZE

# stdin to stdout through python-isal's threaded gzip writer: argv level, threads
_GZIP = (
    "import shutil, sys; from isal import igzip_threaded; "
    "out = igzip_threaded.open(sys.stdout.buffer, 'wb', compresslevel=int(sys.argv[1]), "
    f"threads=int(sys.argv[2]), block_size={BLOCK_SIZE}); "
    f"shutil.copyfileobj(sys.stdin.buffer, out, {BLOCK_SIZE}); out.close()"
)
_GUNZIP = (
    "import sys; from isal import igzip; f = igzip.open(sys.argv[1], 'rb')\n"
    f"while f.read({BLOCK_SIZE}): pass"
)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def pack_floor(prefix: Path, output: Path, level: int, threads: int = -1) -> list[str]:
    """`tar -cf - -C prefix . | ISA-L gzip > output`, as one shell command."""
    gzip = f"{_quote(sys.executable)} -c {_quote(_GZIP)} {level} {threads}"
    script = (
        f"set -o pipefail; tar -cf - -C {_quote(str(prefix))} . | {gzip} > {_quote(str(output))}"
    )
    return ["bash", "-c", script]


def decompress_floor(pack: Path) -> list[str]:
    """Decompress the pack to nowhere."""
    return [sys.executable, "-c", _GUNZIP, str(pack)]


def extract_floor(tar: Path, folder: Path) -> list[str]:
    """`tar -xf` of the decompressed pack into `folder` (made by the command)."""
    return ["bash", "-c", f"mkdir -p {_quote(str(folder))} && tar -xf {_quote(str(tar))} "
            f"-C {_quote(str(folder))}"]  # fmt: skip


def decompress_to(pack: Path, tar: Path) -> None:
    """Write the decompressed pack once, for extract_floor (not timed)."""
    from isal import igzip

    with igzip.open(pack, "rb") as source, open(tar, "wb") as target:
        while block := source.read(BLOCK_SIZE):
            target.write(block)
