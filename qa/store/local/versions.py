"""Version folders: one writer at a time, an atomic publish, what a killed writer left, checksums.

An index `index/NAME` is a link to its current version folder `.NAME.<stamp>-<pid>`. A change writes a
new folder, then swaps the link in one atomic rename: readers see the old version or the new one, never
a mix, and a change killed at any moment leaves the last published version.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.errors import QAError
from qa.hashing import digest

LOCK_WAIT_SECONDS = 60.0


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def writer_lock(root: Path, name: str, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """One writer at a time for index `name`: a second one waits up to `wait` seconds, then gives up
    with a message. The operating system releases the lock when its holder dies, so a killed writer
    never leaves the index locked."""
    path = root / f".{name}.lock"
    with path.open("a+") as f:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    f.seek(0)
                    holder = f.read().strip() or "another process"
                    raise QAError(
                        f"index {name!r} is being changed by {holder} (waited {wait:.0f}s): try again when it has finished"
                    ) from None
                time.sleep(0.1)
        f.seek(0)
        f.truncate()
        f.write(f"process {os.getpid()}")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


ASIDE = ".replaced-"  # a plain index folder moved aside while a link takes its name: `.NAME.replaced-PID`


def remove_stale_builds(root: Path, name: str) -> None:
    """Version folders left by changes that were killed: no link names them (called under the lock).

    A change killed while it replaced a plain index folder by a link left no index under `name`, only
    the folder moved aside: that folder is the last good index, and goes back first.
    """
    target = root / name
    asides = sorted(root.glob(f".{name}{ASIDE}*"), key=lambda p: p.stat().st_mtime)
    if asides and not target.exists() and not target.is_symlink():
        asides[-1].rename(target)
        fsync_dir(root)
    current = os.path.realpath(target)
    for path in root.glob(f".{name}.*"):
        if path.is_dir() and not path.name.endswith(".lock") and os.path.realpath(path) != current:
            shutil.rmtree(path, ignore_errors=True)


def publish(version: Path, target: Path) -> None:
    """Point `target` at `version` in one atomic rename, then drop the version it pointed at before."""
    previous = os.path.realpath(target) if target.is_symlink() else None
    if target.exists() and not target.is_symlink():
        # An index folder not made by this code (a copied index): move it aside so the link can take its
        # name. Until the link is in place the index has no folder under its name; a writer killed in
        # that moment leaves the folder aside, and the next writer puts it back (remove_stale_builds).
        aside = target.with_name(f".{target.name}{ASIDE}{os.getpid()}")
        target.rename(aside)
        previous = str(aside)
    link = target.with_name(f".{target.name}.link-{os.getpid()}")
    if link.is_symlink():
        link.unlink()
    link.symlink_to(version.name)
    os.replace(link, target)
    fsync_dir(target.parent)
    if previous and previous != os.path.realpath(version):
        shutil.rmtree(previous, ignore_errors=True)


def file_record(path: Path) -> dict:
    """What the manifest keeps of a file: its SHA-256 (checked on load), size and time (checked by a change)."""
    stat = path.stat()
    return {"sha256": digest(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as f:
                os.fsync(f.fileno())
        elif path.is_dir():
            fsync_dir(path)


def _files(manifest: dict, manifest_name: str) -> dict | str:
    expected = manifest.get("files")
    if not isinstance(expected, dict) or not expected:
        return f"{manifest_name} lists no checksums"
    return expected


def _extra(folder: Path, expected: dict, manifest_name: str) -> str | None:
    found = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != manifest_name}
    extra = sorted(found - set(expected))
    return f"{extra[0]} does not belong to it" if extra else None


def damage(folder: Path, manifest: dict, manifest_name: str) -> str | None:
    """What is wrong with the files of the index version at `folder`, or None when each matches its checksum."""
    expected = _files(manifest, manifest_name)
    if isinstance(expected, str):
        return expected
    for name, record in expected.items():
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        if digest(path) != record.get("sha256"):
            return f"{name} has changed since it was written"
    return _extra(folder, expected, manifest_name)


def stat_damage(folder: Path, manifest: dict, manifest_name: str = "manifest.json") -> str | None:
    """The same check by each file's size and time: what a change can afford on a large index (a file
    rewritten since, even to the same size, has another time). A file whose time alone differs is read
    and its SHA-256 decides: copying an index (`cp -r`, a restore from a backup) keeps the contents, not
    the times, and must not make it "damaged"."""
    expected = _files(manifest, manifest_name)
    if isinstance(expected, str):
        return expected
    for name, record in expected.items():
        try:
            stat = (folder / name).stat()
        except OSError:
            return f"{name} is missing"
        if stat.st_size != record.get("size") or (
            stat.st_mtime_ns != record.get("mtime_ns") and digest(folder / name) != record.get("sha256")
        ):
            return f"{name} has changed since it was written"
    return _extra(folder, expected, manifest_name)
