"""Plain text in any common encoding, with the light markup the seed documents carry (bold, stray tags)."""

from __future__ import annotations

import codecs
import html
import re

from qa.errors import QAError
from qa.readers.layout import Extract, TextBuilder

# Formatting tags that text extracted from web pages carries (seed 003 has <p> and <i>) are dropped.
# Any other tag (<script>, <img onerror=...>) is kept as the characters it is, and shown as text.
_FORMATTING = "p|i|b|u|em|strong|small|span|div|br|hr|sup|sub|li|ul|ol|h[1-6]|blockquote|font|center|tt|code|pre"
_TAG = re.compile(rf"</?(?:{_FORMATTING})(?:\s[^<>]*)?/?>", re.I)
# Bold as the seeds write it. Underscores are left alone: "__name__" in text is more often code.
_EMPHASIS = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S)
_BULLET = re.compile(r"^\s*[*\-+•]\s+")
_SPACES = re.compile(r"[ \t\u00a0]+")
# Control characters other than white space: text has almost none, binary data has many.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.01  # binary data decoded as text has about 10%

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip


def _detect(data: bytes) -> tuple[str, str] | None:
    """What charset-normalizer reads `data` as, preferring Windows-1252 among Latin code pages it cannot tell apart.

    For short Western text it often names cp1250 or cp775 with the same (zero) chaos as cp1252, and
    reads "coûte" as "coűte"; most non-UTF-8 text in the wild is Windows-1252.
    """
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        if match.chaos <= best.chaos + 0.01 and "cp1252" in (match.encoding, *match.could_be_from_charset):
            # Without bytes 0x80-0x9F the two read the same: name the standard.
            western = "cp1252" if any(0x80 <= byte <= 0x9F for byte in data) else "latin_1"
            return data.decode("cp1252", errors="replace"), western
    return str(best), best.encoding


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 text without a byte-order mark: mostly Latin letters put a NUL in every other byte."""
    if len(data) % 2:
        return None
    half = len(data) // 2
    even, odd = data[0::2].count(0) / half, data[1::2].count(0) / half
    encoding = "utf-16-le" if odd > 0.3 and even < 0.05 else "utf-16-be" if even > 0.3 and odd < 0.05 else None
    try:
        return (data.decode(encoding), encoding) if encoding else None
    except UnicodeDecodeError:
        return None


def decode(data: bytes, name: str) -> tuple[str, str]:
    """The text of `data` and its encoding: by byte-order mark, else UTF-8, else as charset-normalizer finds.

    Raises QAError for data that is not text in any encoding (binary files, images with a text suffix).
    """
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    found = None
    if encoding is not None:
        try:
            found = data.decode(encoding), encoding.removesuffix("-sig")
        except UnicodeDecodeError:
            raise QAError(f"{name}: starts like {encoding} text but is not; re-save it as UTF-8") from None
    elif b"\x00" in data:  # valid UTF-8, but in text only as UTF-16 without a mark; else binary
        found = _utf16_without_bom(data)
    else:
        try:
            found = data.decode("utf-8"), "ascii" if data.isascii() else "utf-8"
        except UnicodeDecodeError:
            found = _detect(data)
    if found is None or len(_CONTROL.findall(found[0])) > _MAX_CONTROL_SHARE * len(found[0]):
        raise QAError(f"{name}: not text in any common encoding (a binary file?); skipped")
    return found


def clean(raw: str) -> str:
    """Readable text with paragraphs separated by one blank line.

    Strips markdown emphasis, HTML tags and entities; table cells (tab-separated) become paragraphs of
    their own; lines of a paragraph are joined; paragraphs with no letters or digits are dropped.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
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


def read_plain(data: bytes, name: str, progress: bool = False) -> Extract:
    """A .txt file: paragraphs by blank lines, headings by their shape, the encoding noted."""
    text, encoding = decode(data, name)
    builder = TextBuilder()
    for paragraph in clean(text).split("\n\n"):
        builder.paragraph(paragraph)
    return builder.build(encoding=encoding)
