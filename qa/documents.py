"""Reading documents: one reader per format behind `read_document`, and cleaning to readable text."""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from qa.errors import QAError
from qa.records import Document

log = logging.getLogger(__name__)

TITLE_CHARS = 160


def _decode(data: bytes, path: Path) -> str:
    if b"\x00" in data[:8192]:
        raise QAError(f"{path}: looks like a binary file (it contains NUL bytes); skipped")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # cp1252 is what most non-UTF-8 text in the wild turns out to be; it maps nearly every
        # byte, so the warning matters: a reader should check the odd character.
        log.warning("%s is not valid UTF-8; read as Windows-1252, check its odd characters", path)
        return data.decode("cp1252", errors="replace")


def read_text(data: bytes, path: Path) -> str:
    """Plain text and Markdown: the seeds are both (bold headings, raw HTML fragments in a table)."""
    return clean(_decode(data, path))


# Formats the product reads, by file suffix. PDF, Word and HTML readers join this table.
READERS: dict[str, Callable[[bytes, Path], str]] = {".txt": read_text, ".md": read_text}

# Formatting tags that text extracted from web pages carries (seed 003 has <p> and <i>) are dropped.
# Any other tag (<script>, <img onerror=...>) is kept as the characters it is, and shown as text.
_FORMATTING = "p|i|b|u|em|strong|small|span|div|br|hr|sup|sub|li|ul|ol|h[1-6]|blockquote|font|center|tt|code|pre"
_TAG = re.compile(rf"</?(?:{_FORMATTING})(?:\s[^<>]*)?/?>", re.I)
# Bold as the seeds write it. Underscores are left alone: "__name__" in text is more often code.
_EMPHASIS = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S)
_BULLET = re.compile(r"^\s*[*\-+•]\s+")
_SPACES = re.compile(r"[ \t\u00a0]+")


def clean(raw: str) -> str:
    """Readable text with paragraphs separated by one blank line.

    Strips markdown emphasis, HTML tags and entities; table cells (tab-separated) become paragraphs of
    their own; lines of a paragraph are joined; paragraphs with no letters or digits are dropped.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = _EMPHASIS.sub(r"\1", text)
    # A line with tabs is a table row: each cell becomes a paragraph, and so does the row.
    text = re.sub(r"^.*\t.*$", lambda m: "\n\n" + m.group(0).replace("\t", "\n\n") + "\n\n", text, flags=re.M)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [_SPACES.sub(" ", _BULLET.sub("• ", line)).strip() for line in block.split("\n")]
        paragraph = " ".join(line for line in lines if line)
        if any(ch.isalnum() for ch in paragraph):
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


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
    if len(first) > TITLE_CHARS:
        first = first[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"
    return first


def supported(path: Path) -> bool:
    return path.suffix.lower() in READERS


def read_document(path: Path, root: Path) -> Document:
    """Read one file into a Document; QAError says why a file cannot be used."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise QAError(f"{path}: unsupported format {path.suffix!r} (supported: {', '.join(sorted(READERS))})")
    data = path.read_bytes()
    if not data.strip():
        raise QAError(f"{path}: empty file; skipped")
    text = reader(data, path)
    if not text:
        raise QAError(f"{path}: no readable text; skipped")
    doc_id = path.relative_to(root).as_posix()
    return Document(
        id=doc_id,
        title=title_of(text, path.stem),
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        path=str(path.resolve()),
    )


def find_files(root: Path) -> list[Path]:
    """The supported files under `root`, in a stable order; hidden files and folders are skipped."""
    if not root.exists():
        raise QAError(f"documents folder not found: {root}")
    if not root.is_dir():
        raise QAError(f"not a folder: {root} (give the folder that holds the documents)")
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and supported(p) and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if not files:
        raise QAError(f"no documents in {root} (supported: {', '.join(sorted(READERS))})")
    return files


def read_folder(root: Path) -> Iterator[Document]:
    """Every readable document under `root`; a file that cannot be read is skipped with a warning."""
    for path in find_files(root):
        try:
            yield read_document(path, root)
        except QAError as exc:
            log.warning("%s", exc)
