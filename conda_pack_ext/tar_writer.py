"""A tar stream writer with conda-pack's archive interface, for packing many small files fast.

conda-pack's TarArchive hands each member to Python's `tarfile`, which costs about 0.35 ms
per member in Python code: a PAX header for nearly every file (os.lstat's mtime is a float,
which tarfile keeps whole in a PAX record), `pwd.getpwuid` and `grp.getgrgid` per
file, the checksum and the stream buffer. On an env of 20,000 small files that was most of
the packing time. This writer keeps what a reader of the pack sees (names, types, modes,
sizes, contents, link targets, owners, hard links as tarfile writes them) and writes:

- one POSIX ustar header per member from one lstat (or one the caller already took), with
  owner names looked up once per uid and gid; the mtime is whole seconds, cut as GNU tar
  does (Python's .pyc files record the source's whole seconds, so a `.py` keeps matching
  its cached byte code after unpacking);
- a PAX extended header only for what ustar cannot hold: names that are not ASCII or do not
  fit its 100 bytes (after up to 155 bytes of folders in its prefix field), link targets
  over 100 bytes or not ASCII, sizes of 8 GiB and more, large uids and gids, long owner
  names;
- contents read straight into a 1 MiB buffer that goes to the gzip writer whole, so a file
  of any size streams in bounded memory and the compression threads get full blocks.
"""

from __future__ import annotations

import os
import stat

try:
    import grp
    import pwd
except ImportError:  # Windows: no owner names, as tarfile
    grp = pwd = None

BLOCK = 512
RECORD = 20 * BLOCK  # tarfile and GNU tar end an archive on a multiple of this
_ZEROS = bytes(RECORD)
# The member whose mtime is the pack's time rather than the file's (conda-pack's rule).
CONDA_UNPACK = "bin/conda-unpack"

_TYPES = {
    stat.S_IFREG: b"0",
    stat.S_IFLNK: b"2",
    stat.S_IFCHR: b"3",
    stat.S_IFBLK: b"4",
    stat.S_IFDIR: b"5",
    stat.S_IFIFO: b"6",
}
HARDLINK = b"1"
PAX_HEADER = b"x"
_USTAR = b"ustar\x0000"  # magic "ustar\0" and version "00"
_NUMBER_LIMITS = {"uid": 8**7, "gid": 8**7, "size": 8**11, "mtime": 8**11}
_DEVICES = (b"3", b"4")
_CHECKSUM_SPACES = 8 * ord(" ")


class TarWriter:
    """Writes a tar stream into `fileobj` (any object with `write`). `add` and `add_bytes`
    are conda-pack's archive interface (`conda_pack.formats.TarArchive`), so its Packer can
    write through this. `stats` may hold os.lstat results the caller already took, by
    source path; `mtime` is what bin/conda-unpack gets, as with conda-pack's TarArchive."""

    def __init__(self, fileobj, arcroot: str = "", mtime: float | None = None, stats=None):
        self.arcroot = arcroot
        self.mtime = mtime
        self.stats = stats if stats is not None else {}
        self._out = _BlockBuffer(fileobj)
        self._hardlinks: dict[tuple[int, int], str] = {}  # (inode, device): first member
        self._owners: dict[tuple[int, int], _Owner] = {}

    def __enter__(self):
        return self

    def __exit__(self, error_type, error, traceback):
        if error_type is None:
            self.close()

    def add(self, source: str, target: str) -> None:
        """Add the file, directory or symbolic link `source` as `target`, not following
        links and not recursing into directories (tarfile's `add(recursive=False)`). A
        regular file already added under another name is written as a hard link to it."""
        name = _member_name(self.arcroot, target)
        info = self._stat(source)
        kind = _TYPES.get(stat.S_IFMT(info.st_mode))
        if kind is None:
            return  # a socket: tarfile leaves it out too
        linkname, size = "", 0
        if kind == b"0":
            first = self._first_name(info, name)
            if first is None:
                size = info.st_size
            else:
                kind, linkname = HARDLINK, first
        elif kind == b"2":
            linkname = os.readlink(source)
        elif kind == b"5" and not name.endswith("/"):
            name += "/"
        mtime = self.mtime if name == CONDA_UNPACK and self.mtime is not None else info.st_mtime
        self._header(name, kind, info, size, int(mtime), linkname)
        if size:
            self._out.copy_file(source, size)

    def add_bytes(self, source: str, sourcebytes: bytes, target: str) -> None:
        """Add `sourcebytes` as the regular file `target`, with the mode, owner and mtime of
        `source`. (tarfile would write a hard link header followed by the data when
        `source` is a hard link of a member already added; readers then lose the data.
        Here it is always a regular file.)"""
        name = _member_name(self.arcroot, target)
        info = self._stat(source)
        if stat.S_ISREG(info.st_mode):
            self._first_name(info, name)  # later links to this inode point here
        self._header(name, b"0", info, len(sourcebytes), int(info.st_mtime), "")
        self._out.put(sourcebytes)
        self._out.pad()

    def close(self) -> None:
        """End the archive (two zero blocks, then zeros to a whole record) and hand the
        last block to `fileobj`; `fileobj` itself is left open."""
        self._out.put(_ZEROS[: 2 * BLOCK])
        self._out.put(_ZEROS[: -self._out.written % RECORD])
        self._out.flush()

    def _stat(self, source: str) -> os.stat_result:
        info = self.stats.get(source)
        return info if info is not None else os.lstat(source)

    def _first_name(self, info: os.stat_result, name: str) -> str | None:
        """The member this regular file is a hard link of, or None when it is the first
        of its inode (then later links point to it)."""
        if info.st_nlink < 2 or not info.st_ino:
            return None
        inode = (info.st_ino, info.st_dev)
        first = self._hardlinks.setdefault(inode, name)
        return first if first != name else None

    def _owner(self, uid: int, gid: int) -> _Owner:
        owner = self._owners.get((uid, gid))
        if owner is None:
            owner = self._owners[uid, gid] = _Owner(uid, gid)
        return owner

    def _header(self, name: str, kind: bytes, info, size: int, mtime: int, linkname: str):
        path = _encode(name)
        link = _encode(linkname) if linkname else b""
        owner = self._owner(info.st_uid, info.st_gid)
        if (
            owner.tail
            and path.isascii()
            and link.isascii()
            and len(link) <= 100
            and 0 <= size < _NUMBER_LIMITS["size"]
            and 0 <= mtime < _NUMBER_LIMITS["mtime"]
            and kind not in _DEVICES
        ):  # nearly every member: a plain ustar header, the owner's part made once
            prefix = b""
            if len(path) > 100:  # ustar's prefix field holds up to 155 bytes of folders
                cut = path.find(b"/", len(path) - 101, min(156, len(path) - 1))
                if cut > 0:
                    prefix, path = path[:cut], path[cut + 1 :]
            if len(path) <= 100:
                self._out.put(_plain_header(path, prefix, kind, info, size, mtime, link, owner))
                return
            path = prefix + b"/" + path if prefix else path
        self._extended_header(path, kind, info, size, mtime, link, owner)

    def _extended_header(self, path, kind, info, size, mtime, link, owner) -> None:
        """A PAX extended header with what ustar cannot hold, then the ustar header."""
        numbers = {"uid": info.st_uid, "gid": info.st_gid, "size": size, "mtime": mtime}
        texts = {"path": path, "linkpath": link, "uname": owner.uname, "gname": owner.gname}
        pax = {}
        for key, limit in (("path", 100), ("linkpath", 100), ("uname", 32), ("gname", 32)):
            if len(texts[key]) > limit or not texts[key].isascii():
                pax[key] = texts[key]
        for key, limit in _NUMBER_LIMITS.items():
            if not 0 <= numbers[key] < limit:
                pax[key] = str(numbers[key]).encode("ascii")
                numbers[key] = 0
        if pax:
            records = pax_records(pax)
            self._out.put(ustar_header(b"././@PaxHeader", PAX_HEADER, 0, len(records), 0, 0, 0))
            self._out.put(records)
            self._out.pad()
        devices = (0, 0)
        if kind in _DEVICES:
            devices = (os.major(info.st_rdev), os.minor(info.st_rdev))
        self._out.put(
            ustar_header(
                _ascii_field(path, 100),
                kind,
                info.st_mode & 0o7777,
                numbers["size"],
                numbers["mtime"],
                numbers["uid"],
                numbers["gid"],
                _ascii_field(link, 100),
                _ascii_field(owner.uname, 32),
                _ascii_field(owner.gname, 32),
                devices,
            )
        )


class _Owner:
    """A uid and gid's names and, when ustar can hold them all, the end of the ustar header
    (magic, owner names, device numbers, name prefix: 255 bytes) and its checksum part."""

    def __init__(self, uid: int, gid: int):
        self.uname = _encode(_user_name(uid))
        self.gname = _encode(_group_name(gid))
        fits = uid < _NUMBER_LIMITS["uid"] and gid < _NUMBER_LIMITS["gid"]
        short = all(len(name) <= 32 and name.isascii() for name in (self.uname, self.gname))
        self.tail = b""
        if fits and short:
            self.tail = ustar_header(b"", b"0", 0, 0, 0, 0, 0, b"", self.uname, self.gname)[257:]
        self.tail_sum = sum(self.tail)


def _plain_header(path, prefix, kind, info, size, mtime, link, owner) -> bytes:
    """The ustar header of a member whose every field fits (see TarWriter._header)."""
    numbers = b"%07o\0%07o\0%07o\0%011o\0%011o\0" % (
        info.st_mode & 0o7777, info.st_uid, info.st_gid, size, mtime
    )  # fmt: skip
    checksum = sum(path) + sum(numbers) + _CHECKSUM_SPACES + kind[0] + sum(link) + owner.tail_sum
    tail = owner.tail
    if prefix:
        checksum += sum(prefix)
        tail = b"".join((tail[:88], prefix, _ZEROS[len(prefix) : 155], tail[243:]))
    return b"".join((
        path, _ZEROS[len(path) : 100], numbers, b"%06o\0 " % checksum, kind,
        link, _ZEROS[len(link) : 100], tail,
    ))  # fmt: skip


def ustar_header(
    name: bytes,
    kind: bytes,
    mode: int,
    size: int,
    mtime: int,
    uid: int,
    gid: int,
    linkname: bytes = b"",
    uname: bytes = b"",
    gname: bytes = b"",
    devices: tuple[int, int] = (0, 0),
) -> bytes:
    """One 512-byte POSIX ustar header, its checksum filled in; every number must fit."""
    header = bytearray(BLOCK)
    header[0 : len(name)] = name
    header[100:148] = b"%07o\0%07o\0%07o\0%011o\0%011o\0" % (mode, uid, gid, size, mtime)
    header[148:156] = b"        "  # the checksum counts its own field as spaces
    header[156:157] = kind
    header[157 : 157 + len(linkname)] = linkname
    header[257:265] = _USTAR
    header[265 : 265 + len(uname)] = uname
    header[297 : 297 + len(gname)] = gname
    header[329:345] = b"%07o\0%07o\0" % devices
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def pax_records(values: dict[str, bytes]) -> bytes:
    """The data of a PAX extended header: `<length> <key>=<value>\\n` records, the length
    counting its own digits. Values that are not UTF-8 (file names in another encoding)
    are declared binary, as POSIX asks."""
    records = []
    if any(not is_utf8(value) for value in values.values()):
        records.append(b"21 hdrcharset=BINARY\n")
    for key, value in values.items():
        body = b" %s=%s\n" % (key.encode("ascii"), value)
        length = len(body) + 1
        while len(b"%d" % length) + len(body) != length:
            length = len(b"%d" % length) + len(body)
        records.append(b"%d%s" % (length, body))
    return b"".join(records)


class _BlockBuffer:
    """Gathers the stream in a 1 MiB buffer and hands `fileobj` whole buffers (which it
    must copy or consume before returning, as file objects do)."""

    SIZE = 1 << 20

    def __init__(self, fileobj):
        self._fileobj = fileobj
        self._buffer = bytearray(self.SIZE)
        self._view = memoryview(self._buffer)
        self._fill = 0
        self.written = 0  # bytes put so far

    def put(self, data) -> None:
        length = len(data)
        end = self._fill + length
        if end < self.SIZE:
            self._view[self._fill : end] = data
            self._fill = end
            self.written += length
            return
        view = memoryview(data)
        while view:
            taken = min(self.SIZE - self._fill, len(view))
            self._view[self._fill : self._fill + taken] = view[:taken]
            self._advance(taken)
            view = view[taken:]

    def pad(self) -> None:
        """Zeros up to the next 512-byte boundary, after a member's data."""
        self.put(_ZEROS[: -self.written % BLOCK])

    def copy_file(self, path: str, size: int) -> None:
        """`size` bytes of the file at `path`, read straight into the buffer, then the
        padding. A file that shrank since its size was taken is an error (the header
        already promised `size` bytes); bytes it grew by are left out, as tarfile does."""
        fd = os.open(path, os.O_RDONLY)
        try:
            remaining = size
            while remaining:
                want = min(remaining, self.SIZE - self._fill)
                got = os.readv(fd, [self._view[self._fill : self._fill + want]])
                if not got:
                    raise OSError(f"{path} shrank while it was being packed ({size} bytes)")
                remaining -= got
                self._advance(got)
        finally:
            os.close(fd)
        self.pad()

    def flush(self) -> None:
        if self._fill:
            self._fileobj.write(self._view[: self._fill])
            self._fill = 0

    def _advance(self, count: int) -> None:
        self._fill += count
        self.written += count
        if self._fill == self.SIZE:
            self._fileobj.write(self._buffer)
            self._fill = 0


def _member_name(arcroot: str, target: str) -> str:
    """The member name as tarfile makes it: arcroot joined, `/` separators, no leading `/`."""
    name = os.path.join(arcroot, target) if arcroot else target
    if os.sep != "/":
        name = name.replace(os.sep, "/")
    return name.lstrip("/")


def _encode(text: str) -> bytes:
    # names that are not UTF-8 on disk come back from os.fsdecode as surrogate escapes
    return text.encode("utf-8", "surrogateescape")


def is_utf8(value: bytes) -> bool:
    """Whether `value` decodes as UTF-8 (also conda-pack's test for a text file)."""
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _ascii_field(value: bytes, length: int) -> bytes:
    """The ustar field of a value a PAX record may carry in full: ASCII, cut to fit."""
    if value.isascii():
        return value[:length]
    return value.decode("ascii", "replace").encode("ascii", "replace")[:length]


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name if pwd else ""
    except KeyError:
        return ""


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name if grp else ""
    except KeyError:
        return ""
