"""Version folders: one writer at a time, an atomic publish, what a killed writer left, checksums.

An index `index/NAME` is a link to its current version folder `.NAME.<stamp>-<pid>`. A change writes a
new folder, then swaps the link in one atomic rename: readers see the old version or the new one, never
a mix, and a change killed at any moment leaves the last published version.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.errors import QAError

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


def remove_stale_builds(root: Path, name: str) -> None:
    """Version folders left by changes that were killed: no link names them (called under the lock)."""
    current = os.path.realpath(root / name)
    for path in root.glob(f".{name}.*"):
        if path.is_dir() and not path.name.endswith(".lock") and os.path.realpath(path) != current:
            shutil.rmtree(path, ignore_errors=True)


def publish(version: Path, target: Path) -> None:
    """Point `target` at `version` in one atomic rename, then drop the version it pointed at before."""
    previous = os.path.realpath(target) if target.is_symlink() else None
    if target.exists() and not target.is_symlink():
        # An index folder not made by this code: move it aside so the link can take its name.
        aside = target.with_name(f".{target.name}.replaced-{os.getpid()}")
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


def checksums(folder: Path, skip: str) -> dict[str, str]:
    """SHA-256 of every file under `folder` but `skip` (the manifest that holds them), by relative path."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != skip:
            digest = hashlib.sha256()
            with path.open("rb") as f:
                for block in iter(lambda f=f: f.read(1 << 20), b""):
                    digest.update(block)
            out[path.relative_to(folder).as_posix()] = digest.hexdigest()
    return out


def damage(folder: Path, manifest: dict, manifest_name: str) -> str | None:
    """What is wrong with the files of the index version at `folder`, or None when each matches its checksum."""
    expected = manifest.get("files")
    if not isinstance(expected, dict) or not expected:
        return f"{manifest_name} lists no checksums"
    found = checksums(folder, manifest_name)
    for name, digest in expected.items():
        if name not in found:
            return f"{name} is missing"
        if found[name] != digest:
            return f"{name} has changed since it was written"
    extra = sorted(set(found) - set(expected))
    return f"{extra[0]} does not belong to it" if extra else None
