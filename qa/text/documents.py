"""Documents from files: the reader for each format (qa.readers), the title, and the folder walk."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

from qa.errors import QAError
from qa.readers import READERS
from qa.readers.layout import CONTROL
from qa.records import Document

log = logging.getLogger(__name__)

TITLE_CHARS = 160
SUFFIXES = tuple(sorted(READERS))  # what the CLI help, the upload box and the errors list

# Opening paragraphs looked at for a title, and how long a heading there may be (in words: a report's
# full name, as a subtitle, runs longer than a section heading).
_LEADING = 4
_HEADING_WORDS = 25


def _is_heading(paragraph: str) -> bool:
    return len(paragraph.split()) <= _HEADING_WORDS and not paragraph.endswith((".", "!", "?", ":", ";", ","))


def _is_capitals(paragraph: str) -> bool:
    letters = [c for c in paragraph if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def title_of(text: str, fallback: str) -> str:
    """The document's first line, unless it is a banner of capitals followed by a more specific heading.

    Letters and responses often open with the sender's letterhead ("HER MAJESTY'S INSPECTORATE OF
    CONSTABULARY ...") and name what they are in a second heading of capitals a little further down
    ("RESPONSE OF DAVID KEANE, POLICE & CRIME COMMISSIONER FOR CHESHIRE"): that one is the title.
    """
    paragraphs = [p.strip() for p in text.split("\n\n")[:_LEADING] if p.strip()] if text else []
    if not paragraphs:
        return fallback
    first = paragraphs[0]
    if _is_capitals(first):
        for later in paragraphs[1:]:
            if not _is_heading(later):
                break  # the body has begun
            if _is_capitals(later):
                first = later
                break
    return _shorten(first)


def _shorten(title: str) -> str:
    return title if len(title) <= TITLE_CHARS else title[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"


def supported(path: Path) -> bool:
    return path.suffix.lower() in READERS


def read_document(path: Path, root: Path, progress: bool = False) -> Document:
    """Read one file into a Document; QAError says in one line why a file cannot be used."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise QAError(f"{path}: unsupported format {path.suffix!r} (supported: {', '.join(SUFFIXES)})")
    data = path.read_bytes()
    if not data.strip():
        raise QAError(f"{path}: empty file; skipped")
    extract = reader(data, str(path), progress=progress)
    for warning in extract.warnings:
        log.warning("%s", warning)
    if not extract.text:
        raise QAError(f"{path}: no readable text; skipped")
    declared = " ".join(CONTROL.sub(" ", extract.title or "").split())
    return Document(
        id=path.relative_to(root).as_posix(),
        title=_shorten(declared) if declared else title_of(extract.text, path.stem),
        text=extract.text,
        sha256=hashlib.sha256(data).hexdigest(),
        path=str(path.resolve()),
        headings=extract.headings,
        pages=extract.pages,
        encoding=extract.encoding,
        date=extract.date,
    )


def find_files(root: Path) -> list[Path]:
    """The supported files under `root`, in a stable order; hidden files and folders are skipped, and so
    is a link that leads out of `root` (a `notes.md` linking to /etc/passwd must not be quoted)."""
    if not root.exists():
        raise QAError(f"documents folder not found: {root}")
    if not root.is_dir():
        raise QAError(f"not a folder: {root} (give the folder that holds the documents)")
    inside = root.resolve()
    files = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or not supported(path):
            continue
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if not path.resolve().is_relative_to(inside):
            log.warning("%s: a link to a file outside %s; skipped", path, root)
            continue
        files.append(path)
    if not files:
        raise QAError(f"no documents in {root} (supported: {', '.join(SUFFIXES)})")
    return files


def read_folder(root: Path) -> Iterator[Document]:
    """Every readable document under `root`; a file that cannot be read is skipped with a warning."""
    for path in find_files(root):
        try:
            yield read_document(path, root)
        except QAError as exc:
            log.warning("%s", exc)
