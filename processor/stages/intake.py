"""Intake: the inbox listed, every file hashed and its root sniffed, in the order the kinds are ingested
(lists before receipts and cancellations, returns before their receipts and claims, so the order of
files never matters). A night may bring 40,000 files: each keeps a record of a few hundred bytes."""
from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..problems import WARNING, Problem
from ..readers import FILE, Reading, open_input
from ..readers.ahead import cores
from ..readers.messages import KINDS


@dataclass(slots=True)
class InputFile:
    """What the batch keeps of an inbox file: a night may bring 40,000 files, so a few hundred bytes each,
    and its Reading only while the file is stored (or from the start, for a file refused when opened)."""

    path: str
    name: str
    sha256: str
    size: int
    order: int  # its kind's ingestion order (lists before receipts...); files that are not inputs come last
    reading: Reading | None = None
    counts: dict | None = None
    failed: bool = False  # the file could not be stored and was rolled back whole
    kind: str | None = None
    root: str | None = None
    complete: bool = True
    identity: tuple | None = None  # file_identity when hashed
    changed: bool = False  # it changed while the batch read it: quarantined whole

    def open(self) -> Reading:
        if self.reading is None:
            self.reading = open_input(Path(self.path), self.name)
        return self.reading

    def check_unchanged(self) -> None:
        """FileChanged unless the file is as it was hashed: the bytes read are the bytes hashed."""
        try:
            now = file_identity(os.stat(self.path))
        except OSError as err:
            raise FileChanged(f"the file went away while the batch read it ({err.strerror})") from None
        if self.identity is not None and now != self.identity:
            self.changed = True
            raise FileChanged(f"the file changed while the batch read it ({self.identity[0]:,} bytes when hashed, "
                              f"{now[0]:,} now): it is read again, whole, once it has stopped changing")

    def done(self) -> None:
        """Keep what the reports say of the file and let its reading go."""
        reading = self.reading
        self.kind = reading.kind.name if reading.kind else None
        self.root = reading.root or None
        self.complete = reading.complete
        self.reading = None


def _hash_all(paths: list[str], group: int = 256):
    """(sha256, size, error) of each file, in order. hashlib lets go of the interpreter while it hashes a
    block, so threads hash files on every core; a group at a time, as a future per file for 40,000 files
    would hold tens of MB."""
    with ThreadPoolExecutor(max(1, cores())) as pool:
        for start in range(0, len(paths), group):
            yield from pool.map(_hashed, paths[start:start + group])


def _hashed(path: str) -> tuple[str, int, tuple | None, OSError | None]:
    try:
        return (*sha256_of(path), None)
    except OSError as err:
        return "", 0, None, err


def sha256_of(path) -> tuple[str, int, tuple]:
    """SHA-256 and size of the file's bytes, and its identity when hashed (file_identity)."""
    h = hashlib.sha256()
    size = 0
    buf = bytearray(1 << 20)  # one buffer, read into: no allocation per block
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            h.update(view[:n])
            size += n
        identity = file_identity(os.fstat(fh.fileno()))
    return h.hexdigest(), size, identity


def file_identity(st: os.stat_result) -> tuple:
    """What changes when a file's bytes change (size, modification time to the nanosecond, inode): compared
    after the file is read, so that the hash a batch reports is that of the bytes it read."""
    return st.st_size, st.st_mtime_ns, st.st_ino


class FileChanged(Exception):
    """The file changed between its hashing and the end of its reading (a transfer still writing it)."""


def shown(name: str) -> str:
    """A file name as the reports, the log and the ledger carry it: its bytes read as UTF-8 whatever the locale,
    a byte that is not UTF-8 as \\xff, a control character as \\x01 (U+FFFE, U+FFFF as \\ufffe), a backslash
    doubled, so that two names never show alike and every one is valid text in XML, CSV, JSON and SQL. A name is
    data: no name may stop a night (CONTRACT.md 1)."""
    if name.isascii() and name.isprintable() and "\\" not in name:
        return name  # nearly every name: as it is
    out = []
    for ch in os.fsencode(name).decode("utf-8", "surrogateescape"):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or 0x7F <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif code in (0xFFFE, 0xFFFF):
            out.append(f"\\u{code:04x}")
        elif ch == "\\":
            out.append("\\\\")
        else:
            out.append(ch)
    return "".join(out)


def list_inbox(inbox: Path) -> tuple[list[str], list[Problem]]:
    """The paths of the regular files directly in the inbox, by name; anything else is skipped, with a
    warning saying why. Plain strings: a night may bring 40,000 files."""
    files, skipped = [], []
    with os.scandir(inbox) as entries:
        listed = sorted(entries, key=lambda e: e.name)
    for entry in listed:
        why = None
        if entry.is_symlink():
            why = "a symbolic link: links are not followed out of the inbox"
        elif entry.is_dir():
            why = "a folder: the inbox is read one level deep"
        elif not entry.is_file():
            why = "not a regular file (a pipe, socket or device)"
        if why:
            skipped.append(Problem(shown(entry.name), None, FILE, "", "", f"skipped: {why}", "regular files in the inbox",
                                   WARNING, "SKIPPED_ENTRY"))
        else:
            files.append(entry.path)
    return files, skipped


def open_inputs(inbox: Path, notebook, stage=None) -> list[InputFile]:
    """Every regular file of the inbox, hashed and sniffed, in ingestion order; skipped entries noted.
    `stage` (progress.Stage) is told of each file."""
    paths, skipped = list_inbox(inbox)
    notebook.note(skipped)
    return inputs_of([(path, shown(os.path.basename(path))) for path in paths], stage)


def inputs_of(files: list[tuple[str, str]], stage=None) -> list[InputFile]:
    """(path, name) of input files, hashed and sniffed, in ingestion order (`processor validate` names them
    as given)."""
    inputs = []
    if stage is not None:
        stage.n_files = len(files)
        stage.expect(len(files))
    for (path, name), (sha, size, identity, err) in zip(files, _hash_all([path for path, _n in files])):
        if stage is not None:
            stage.add(done=1, files=1)
        if err is not None:
            reading = Reading(Path(path), name, None, "")
            reading.file_problem(f"cannot read the file: {err.strerror or err}", "a readable file")
            inputs.append(InputFile(path, name, "", 0, len(KINDS), reading))
            continue
        reading = open_input(Path(path), name)  # its kind decides its place; opened again when it is read
        order = reading.kind.order if reading.kind else len(KINDS)
        inputs.append(InputFile(path, name, sha, size, order, None if reading.kind else reading, identity=identity))
    inputs.sort(key=lambda f: (f.order, f.name))
    return inputs


def file_entry(f: InputFile) -> dict:
    """What the reports say of an input file."""
    counts = f.counts or {"read": 0, "stored": 0, "quarantined": 0, "duplicates": 0}
    return {"name": f.name, "sha256": f.sha256, "size_bytes": f.size, "kind": f.kind, "root": f.root, **counts,
            "complete": f.complete, "quarantined_whole": f.kind is None or f.failed,
            **({"changed_while_read": True} if f.changed else {})}
