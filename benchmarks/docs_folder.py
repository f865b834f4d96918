"""A real folder nobody here wrote: Debian's Python 3.11 documentation, indexed from scratch and asked
from the shell, each against its baseline in the same run (benchmarks/speed.py's measures).

    .venv/bin/python benchmarks/docs_folder.py [--folder /tmp/python-docs] [--runs 3] [--json OUT.json]

The folder is the one issue 27 was tried on: all of tutorial/ and howto/ and 30 common library/ pages of
the package python3.11-doc (67 pages, about 8 MB of HTML), flattened into one folder. It is fetched with
`apt-get download` (no root needed) and unpacked with dpkg-deb when --folder does not exist yet.

Measured: indexing wall time against one raw encode of exactly the texts the index embeds by the bundled
model through sentence-transformers' default path; `qa ask` from launch to exit against a process that
loads the model with sentence-transformers and encodes one question (and `qa ask` on torch).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from speed import bench_cold_starts, bench_indexing  # noqa: E402

PACKAGE = "python3.11-doc"
QUESTION = "How do I read a file line by line?"
LIBRARY = """os os.path pathlib re json datetime time logging subprocess collections itertools functools typing
unittest argparse csv shutil sys random math string io threading asyncio-task dataclasses enum sqlite3
urllib.request zipfile tempfile""".split()


def make_folder(folder: Path) -> int:
    """The 67 pages, flattened as tutorial-*.html, howto-*.html and library-*.html; returns their count."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", PACKAGE], cwd=tmp, check=True, capture_output=True)
        deb = next(Path(tmp).glob(f"{PACKAGE}_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(Path(tmp) / "x")], check=True)
        html = Path(tmp) / "x" / "usr" / "share" / "doc" / "python3.11" / "html"
        pages = [*sorted((html / "tutorial").glob("*.html")), *sorted((html / "howto").glob("*.html"))]
        pages += [html / "library" / f"{name}.html" for name in LIBRARY]
        folder.mkdir(parents=True)
        for page in pages:
            shutil.copyfile(page, folder / f"{page.parent.name}-{page.name}")
    return len(pages)


def reading_checks(folder: Path) -> dict:
    """What issue 27 asked of reading technical pages, counted over the folder (no model needed): titles
    and sections with a permalink mark, sections that are sentences (ending in a full stop) or long
    (over 15 words), prose sentences with a Markdown mark (outside code blocks), and dates."""
    import re

    from qa.text.documents import read_folder
    from qa.text.sentences import is_code, sentences

    # A backtick, an escaped mark, or a word in *emphasis* ("*endpos*"); not Python's own "*args, **kwargs".
    marks = re.compile(r"`|\\[*_`]|(?<![\w*])\*[A-Za-z][\w ]*\*(?![\w*])")
    out = {"documents": 0, "sections": 0, "permalink_marks": 0, "sections_like_sentences": 0,
           "sections_over_15_words": 0, "prose_units": 0, "prose_with_markdown_marks": 0, "dated": 0}  # fmt: skip
    for doc in read_folder(folder):
        out["documents"] += 1
        out["dated"] += bool(doc.date)
        names = [doc.title] + [h[2] for h in doc.headings]
        out["sections"] += len(doc.headings)
        out["permalink_marks"] += sum("¶" in n for n in names)
        out["sections_like_sentences"] += sum(h[2].rstrip().endswith(".") for h in doc.headings)
        out["sections_over_15_words"] += sum(len(h[2].split()) > 15 for h in doc.headings)
        for a, b in sentences(doc.text):
            unit = doc.text[a:b]
            if not is_code(unit):
                out["prose_units"] += 1
                out["prose_with_markdown_marks"] += bool(marks.search(unit))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "python-docs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--reading-only", action="store_true", help="only the reading checks: no model, no timing")
    args = parser.parse_args()
    if not args.folder.exists():
        print(f"{make_folder(args.folder)} pages into {args.folder}", file=sys.stderr)
    size = sum(p.stat().st_size for p in args.folder.iterdir())
    if args.reading_only:
        print(json.dumps(reading_checks(args.folder), indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        results = {"folder": str(args.folder), "files": len(list(args.folder.iterdir())), "mb": round(size / 2**20, 1)}
        results["reading"] = reading_checks(args.folder)
        results["indexing"] = bench_indexing(args.folder, args.runs, Path(tmp))
        results["cold_start"] = bench_cold_starts(Path(tmp), args.runs, serve=False, question=QUESTION)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
