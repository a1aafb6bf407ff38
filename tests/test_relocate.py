"""Relocation without running the pack: prefix records read as data, and our replacement
giving the same bytes as conda-pack's own `update_prefix` (on real files from the local
test channel and on edge cases), hostile records refused, a booby-trapped conda-unpack
never run by a real install."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from conda_pack import prefixes as conda_pack_prefixes

from conda_pack_ext import relocate
from conda_pack_ext.errors import InvalidInput
from conda_pack_ext.install import LocalFileSource, install_pack
from conda_pack_ext.relocate import (
    PrefixTooLong,
    read_prefix_records,
    relocate_env,
    update_prefix,
)
from conda_pack_ext.settings import load_settings
from tests.support.channel import TEST_LIB
from tests.support.cli import cli_run
from tests.support.packs import (  # noqa: F401 (session fixtures)
    NO_PREFIX_RECORDS,
    packs_dir_fixture,
    python_pack_fixture,
    tiny_pack,
)
from tests.support.progress import RecordingProgress
from tests.test_install import PREFIX_REPORT, env_python, folder_entries

PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"
NEW = "/home/user/conda/env"


def both_ways(tmp_path: Path, data: bytes, mode: str, new: str = NEW) -> tuple[bytes, bytes]:
    """The file after conda-pack's update_prefix and after ours."""
    theirs, ours = tmp_path / "theirs", tmp_path / "ours"
    theirs.write_bytes(data)
    ours.write_bytes(data)
    conda_pack_prefixes.update_prefix(str(theirs), new, PLACEHOLDER, mode=mode)
    update_prefix(ours, new, PLACEHOLDER, mode)
    return theirs.read_bytes(), ours.read_bytes()


P = PLACEHOLDER.encode()
TEXT_CASES = {
    "at the end": b"prefix=" + P,
    "several": P + b"/bin:" + P + b"/lib\n" + P + P + b"\n",
    "shebang": b"#!" + P + b"/bin/python -E\nimport sys\nprint('" + P + b"')\n",
    "none": b"nothing to see\n",
    "empty": b"",
    "partial at the end": b"x" + P[:-1],
    "utf-8 around": "é ".encode() + P + " ü\n".encode(),
}
BINARY_CASES = {
    "followed by other bytes": b"\x7fELF\0" + P + b"/lib:/usr/lib\0rest\0\x01",
    "several in one string": b"\0" + P + b"/a:" + P + b"/b\0tail",
    "several strings": P + b"\0" + P + b"/x\0\0" + P + b"/y\0",
    "at the end without NUL": b"\0\0" + P,
    "followed by NUL at the end": b"head" + P + b"\0",
    "no NUL after a later one": P + b"/a\0" + P + b"/b",
    "none": bytes(range(256)) * 4,
}


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_text_mode_gives_conda_packs_bytes(tmp_path, case):
    theirs, ours = both_ways(tmp_path, TEXT_CASES[case], "text")
    assert ours == theirs
    # a longer prefix fits too: text files change length
    theirs, ours = both_ways(tmp_path, TEXT_CASES[case], "text", new=NEW + "/" + "x" * 80)
    assert ours == theirs


@pytest.mark.parametrize("case", sorted(BINARY_CASES))
def test_binary_mode_gives_conda_packs_bytes(tmp_path, case):
    theirs, ours = both_ways(tmp_path, BINARY_CASES[case], "binary")
    assert ours == theirs and len(ours) == len(BINARY_CASES[case])
    theirs, ours = both_ways(tmp_path, BINARY_CASES[case], "binary", new=PLACEHOLDER)
    assert ours == theirs == BINARY_CASES[case]


def test_binary_refuses_a_longer_prefix_where_conda_pack_does(tmp_path):
    longer = PLACEHOLDER + "/more"
    with pytest.raises(ValueError):
        both_ways(tmp_path, BINARY_CASES["several strings"], "binary", new=longer)
    with pytest.raises(PrefixTooLong, match="shorter --conda-pack-folder"):
        update_prefix(tmp_path / "ours", longer, PLACEHOLDER, "binary")
    # without a C string holding the placeholder, nothing needs room
    theirs, ours = both_ways(tmp_path, BINARY_CASES["at the end without NUL"], "binary", longer)
    assert ours == theirs


def test_streamed_text_replacement_across_chunks(tmp_path, monkeypatch):
    # tiny chunks put placeholders across chunk borders; large files go through a temp file
    monkeypatch.setattr(relocate, "CHUNK_BYTES", 7)
    monkeypatch.setattr(relocate, "IN_MEMORY_BYTES", 0)
    data = b"".join(TEXT_CASES.values()) * 3 + b"aa" + P + P[:5]
    theirs, ours = both_ways(tmp_path, data, "text")
    assert ours == theirs
    relocate.replace_stream(io.BytesIO(b"aaaaa"), out := io.BytesIO(), b"aa", b"b")
    assert out.getvalue() == b"aaaaa".replace(b"aa", b"b")


def test_real_channel_files_relocate_like_conda_unpack(tmp_path, python_pack):
    """Every file the real pack records (text and binary, from the local channel) ends up
    byte-for-byte as conda-pack's update_prefix leaves it."""
    with tarfile.open(python_pack) as tar:
        script = tar.extractfile("bin/conda-unpack").read()
        (tmp_path / "records" / "bin").mkdir(parents=True)
        (tmp_path / "records" / "bin" / "conda-unpack").write_bytes(script)
        records = read_prefix_records(tmp_path / "records")
        wanted = {record.path for record in records}
        members = [m for m in tar.getmembers() if m.name in wanted]
        for side in ("theirs", "ours"):
            tar.extractall(tmp_path / side, members=members, filter="tar")
    assert {record.mode for record in records} == {"text", "binary"}
    assert any(TEST_LIB.replace("-", "_") in record.path for record in records)
    new = str(tmp_path / "final place")
    for record in records:
        conda_pack_prefixes.update_prefix(
            str(tmp_path / "theirs" / record.path), new, record.placeholder, mode=record.mode
        )
        update_prefix(tmp_path / "ours" / record.path, new, record.placeholder, record.mode)
    changed = 0
    for record in records:
        theirs = (tmp_path / "theirs" / record.path).read_bytes()
        assert (tmp_path / "ours" / record.path).read_bytes() == theirs, record.path
        changed += new.encode() in theirs
    assert changed >= 2


# ---- records read as data, hostile ones refused ---------------------------------------


def staged_env(root: Path, records: str, files: dict[str, bytes] | None = None) -> Path:
    """An unpacked env with `bin/conda-unpack` holding `records` (the lines between the
    brackets) and the given files."""
    (root / "bin").mkdir(parents=True)
    script = NO_PREFIX_RECORDS.replace("[\n\n]", "[\n" + records + "\n]")
    (root / "bin" / "conda-unpack").write_text(script)
    for name, data in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_records_are_applied_and_conda_unpack_removed(tmp_path):
    records = f"('share/a.txt', '{PLACEHOLDER}', 'text'),\n('lib/b.so', '{PLACEHOLDER}', 'binary')"
    root = staged_env(
        tmp_path / "env", records, {"share/a.txt": P + b"\n", "lib/b.so": b"\0" + P + b"/x\0"}
    )
    (root / "bin" / "conda_unpack_progress.py").write_text("")
    assert relocate_env(root, Path(NEW), RecordingProgress()) == 2
    assert (root / "share" / "a.txt").read_bytes() == NEW.encode() + b"\n"
    padding = b"\0" * (len(P) - len(NEW))
    assert (root / "lib" / "b.so").read_bytes() == b"\0" + NEW.encode() + b"/x\0" + padding
    assert not (root / "bin" / "conda-unpack").exists()
    assert not (root / "bin" / "conda_unpack_progress.py").exists()


HOSTILE_RECORDS = {
    "code": ("__import__('os').system('touch {marker}')", "not a prefix record"),
    "call in a tuple": ("(open('{marker}', 'w'), 'x', 'text'),", "not a prefix record"),
    "parent": (f"('../outside.txt', '{PLACEHOLDER}', 'text'),", "outside the environment"),
    "nested parent": (f"('lib/../../x', '{PLACEHOLDER}', 'text'),", "outside the environment"),
    "absolute": (f"('/etc/passwd', '{PLACEHOLDER}', 'text'),", "outside the environment"),
    "bad mode": (f"('share/a.txt', '{PLACEHOLDER}', 'exec'),", "not a prefix record"),
    "empty placeholder": ("('share/a.txt', '', 'text'),", "invalid placeholder"),
    "missing file": (f"('share/gone.txt', '{PLACEHOLDER}', 'text'),", "a missing file"),
    "folder": (f"('share', '{PLACEHOLDER}', 'text'),", "not a regular file"),
    "deep nesting": ("(" * 5000 + ")" * 5000, "not a prefix record"),
    "never ends": (f"('share/a.txt', '{PLACEHOLDER}', 'text'),", "never end"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_RECORDS))
def test_hostile_records_are_refused(tmp_path, kind):
    line, message = HOSTILE_RECORDS[kind]
    marker = tmp_path / "marker"
    root = staged_env(tmp_path / "env", line.format(marker=marker), {"share/a.txt": P})
    if kind == "never ends":
        text = (root / "bin" / "conda-unpack").read_text()
        (root / "bin" / "conda-unpack").write_text(text.replace("\n]\n", "\n"))
    with pytest.raises(InvalidInput, match=message):
        relocate_env(root, Path(NEW), RecordingProgress())
    assert not marker.exists()
    assert (root / "share" / "a.txt").read_bytes() == P


def test_scripts_not_written_by_conda_pack_are_refused(tmp_path):
    for name, script in {
        "no records": "import os\nos.system('true')\n",
        "two assignments": NO_PREFIX_RECORDS + "_prefix_records = [\n]\n",
        "records computed": "_prefix_records = list(range(3))\n",
        "not UTF-8": "_prefix_records = [\n('\udcff', 'x', 'text')\n]\n",
    }.items():
        root = tmp_path / name
        (root / "bin").mkdir(parents=True)
        (root / "bin" / "conda-unpack").write_bytes(script.encode("utf-8", "surrogateescape"))
        with pytest.raises(InvalidInput, match="conda-unpack"):
            relocate_env(root, Path(NEW), RecordingProgress())


def test_oversized_script_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(relocate, "MAX_SCRIPT_BYTES", 1000)
    root = staged_env(tmp_path / "env", "('a', 'b', 'text'),\n" * 100)
    with pytest.raises(InvalidInput, match="at most"):
        relocate_env(root, Path(NEW), RecordingProgress())


def test_symlinks_are_never_written_through(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_bytes(P)
    records = f"('lib/victim.txt', '{PLACEHOLDER}', 'text'),"
    root = staged_env(tmp_path / "env", records)
    (root / "lib").mkdir()
    (root / "lib" / "victim.txt").symlink_to(outside / "victim.txt")
    progress = RecordingProgress()
    assert relocate_env(root, Path(NEW), progress) == 0
    assert any("names a symlink: skipped" in line for line in progress.lines)
    # a symlinked folder on the way out of the env
    records = f"('lib/out/victim.txt', '{PLACEHOLDER}', 'text'),"
    root = staged_env(tmp_path / "env2", records)
    (root / "lib").mkdir()
    (root / "lib" / "out").symlink_to(outside)
    with pytest.raises(InvalidInput, match="outside the environment through a symlink"):
        relocate_env(root, Path(NEW), RecordingProgress())
    assert (outside / "victim.txt").read_bytes() == P


# ---- real installs ----------------------------------------------------------------------


def booby_trapped(pack: Path, target: Path, marker: Path) -> Path:
    """A copy of a real pack whose bin/conda-unpack writes `marker` when run (its prefix
    records are intact)."""
    trap = f"open({str(marker)!r}, 'w').write('conda-unpack ran')\n"
    with tarfile.open(pack) as source, tarfile.open(target, "w:gz", compresslevel=1) as out:
        for member in source:
            data = source.extractfile(member).read() if member.isreg() else None
            if member.name == "bin/conda-unpack":
                first, rest = data.split(b"\n", 1)
                data = first + b"\n" + trap.encode() + rest
                member.size = len(data)
            out.addfile(member, io.BytesIO(data) if data is not None else None)
    return target


def test_install_never_runs_the_packs_conda_unpack(tmp_path, capsys, python_pack):
    marker = tmp_path / "marker"
    pack = booby_trapped(python_pack, tmp_path / "testenv_v1_0.tar.gz", marker)
    folder = tmp_path / "conda"
    result, _ = cli_run(capsys, "install", "-u", str(pack), "--conda-pack-folder", str(folder))
    prefix = folder / "testenv_v1_0"
    assert not marker.exists()
    assert json.loads(env_python(prefix, PREFIX_REPORT)) == [str(prefix)] * 4
    assert not (prefix / "bin" / "conda-unpack").exists()
    assert result["kernels"]


def test_pack_without_conda_unpack_installs(tmp_path):
    pack = tiny_pack(tmp_path / "tiny_v1.tar.gz", "tiny_v1", conda_unpack=None)
    progress = RecordingProgress()
    folder = tmp_path / "conda"
    install_pack(
        LocalFileSource(pack), load_settings(conda_pack_folder=str(folder)), progress=progress
    )
    assert (folder / "tiny_v1" / "share" / "tiny" / "data.txt").read_text() == "tiny\n"
    assert any("no bin/conda-unpack" in line for line in progress.lines)
    assert folder_entries(folder) == ["tiny_v1"]


def test_plain_records_read_as_the_parser_reads_them():
    # the parser-free path takes only lines whose strings hold no quote, backslash or
    # line break; anything else goes through literal_eval or is refused as before
    plain = f"('share/a b.txt', '{PLACEHOLDER}', 'binary'),"
    assert relocate._parse_record(plain, 1) == relocate.PrefixRecord(
        "share/a b.txt", PLACEHOLDER, "binary"
    )
    escaped = "('share/it\\'s.txt', '/x/y', 'text'),"
    assert relocate._parse_record(escaped, 1).path == "share/it's.txt"
    for hostile in (
        f"('share/a.txt', '{PLACEHOLDER}', 'text'), print(1)",
        f"('share/a.txt', '{PLACEHOLDER}', 'text')) + ((",
        f"('share/a\rb.txt', '{PLACEHOLDER}', 'text'),",
    ):
        with pytest.raises(InvalidInput, match="not a prefix record"):
            relocate._parse_record(hostile, 1)
