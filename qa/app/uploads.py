"""The user's own documents: files saved safely into one folder, within limits, for their own index."""

from __future__ import annotations

import hashlib
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from qa.app.render import plural, text
from qa.errors import QAError
from qa.indexing.build import add_files
from qa.settings import Settings
from qa.text.documents import SUFFIXES

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES_PER_UPLOAD = 20
MAX_FILES_TOTAL = 200
UPLOADS = "uploads"  # the collection of the user's own documents, in the same index as the rest
QUEUED = ".queued"  # in the uploads folder: files waiting in the upload queue (hidden: never synced)

# Letters and digits of any script, and . _ - space: nothing else survives in a saved name.
_UNSAFE = re.compile(r"[^\w. -]+")


def safe_name(name: str) -> str:
    """A file name that stays in its folder: no directories, no leading dots, letters (of any script),
    digits and . _ - space only ("Café résumé.pdf" stays as it is)."""
    name = unicodedata.normalize("NFC", name)
    base = re.split(r"[\\/]", name)[-1]  # a Windows path too: "C:\\x\\..\\a.txt" -> "a.txt"
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("_", stem).strip(" ._-")[:100] or "document"
    suffix = _UNSAFE.sub("", suffix)[:10].lower()
    return f"{stem}.{suffix}" if suffix else stem


@dataclass
class UploadResult:
    saved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # "name: reason"


def save_uploads(paths: list[Path], original_names: list[str], folder: Path) -> UploadResult:
    """Copy uploaded files into `folder` under safe names; refuse what is unsupported or too big."""
    if len(paths) > MAX_FILES_PER_UPLOAD:
        raise QAError(f"{len(paths)} files at once is over the limit of {MAX_FILES_PER_UPLOAD}: upload fewer")
    folder.mkdir(parents=True, exist_ok=True)
    result = UploadResult()
    existing = len([p for p in folder.iterdir() if p.is_file()])
    for path, original in zip(paths, original_names, strict=True):
        name = safe_name(original)
        suffix = Path(name).suffix.lower()
        if suffix not in SUFFIXES:
            kind = f"({suffix})" if suffix else "(no extension)"
            result.refused.append(
                f"{original}: not a kind of file this app reads {kind}; it reads {', '.join(SUFFIXES)}"
            )
            continue
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            result.refused.append(f"{original}: {size / 1e6:.1f} MB is over the {MAX_FILE_BYTES / 1e6:.0f} MB limit")
            continue
        data = path.read_bytes()
        target = folder / name
        if target.exists() and hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest():
            result.unchanged.append(name)
            continue
        if target.exists():  # same name, new content: keep both
            digest = hashlib.sha256(data).hexdigest()[:8]
            target = folder / f"{Path(name).stem}-{digest}{suffix}"
        if existing >= MAX_FILES_TOTAL:
            result.refused.append(f"{original}: the collection is full ({MAX_FILES_TOTAL} files)")
            continue
        # The name is already plain, but check the resolved path anyway: nothing leaves the folder.
        if target.resolve().parent != folder.resolve():
            result.refused.append(f"{original}: unsafe file name")
            continue
        shutil.copyfile(path, target)
        existing += 1
        result.saved.append(target.name)
    return result


def refusal(name: str, why: str) -> str:
    """A refused file, in plain words: "setup_tool.pdf is not a PDF file (...)"; "big.pdf was not added:
    7.2 MB is over the 5 MB limit"."""
    why = why.removesuffix("; skipped")
    if why == "empty file":
        return f"⚠️ {text(name)} is empty, so it was not added."
    if why.startswith("not "):
        return f"⚠️ {text(name)} is {text(why)}, so it was not added."
    return f"⚠️ {text(name)} was not added: {text(why)}."


def add_uploads(paths: list[Path], folder: Path, index_name: str, settings: Settings) -> list[str]:
    """Save uploaded files into `folder` and add them to the index's uploads collection: the report's
    lines, for the page. The folder is kept to what the index holds: a file that could not be added is
    deleted again, whatever stopped it."""
    try:
        result = save_uploads(paths, [p.name for p in paths], folder)
    except QAError as exc:
        return [f"⚠️ {text(str(exc))}"]
    lines = [refusal(*r.split(": ", 1)) for r in result.refused]
    if result.saved:
        saved = [folder / name for name in result.saved]
        try:
            report = add_files(saved, index_name, settings, UPLOADS)
        except BaseException as exc:
            for path in saved:  # the index stays as it was, and so does the folder
                path.unlink(missing_ok=True)
            if not isinstance(exc, QAError):
                raise
            return [f"⚠️ Could not add {', '.join(text(n) for n in result.saved)}: {text(str(exc))}", *lines]
        unreadable = {Path(path).name: why for path, why in report.skipped.items()}
        for name in unreadable:
            (folder / name).unlink(missing_ok=True)
        added = [n for n in result.saved if n not in unreadable]
        if added:
            lines.insert(0, f"Added {', '.join(text(n) for n in added)}: the index now holds "
                         f"{plural(report.documents, 'document')}, yours searched together with the rest.")  # fmt: skip
        lines += [refusal(name, why) for name, why in unreadable.items()]
    if result.unchanged:
        lines.append(f"Already there: {', '.join(text(n) for n in result.unchanged)}")
    return lines
