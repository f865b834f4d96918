"""PDF indexing speed: a PDF of N pages made from the benchmark texts, indexed from scratch, against raw
encoding of exactly the texts its index embeds (the same baseline as benchmarks/speed.py), in one run.

    .venv/bin/python benchmarks/pdf_speed.py [--pages 100] [--runs 3] [--json OUT.json]

Also: reading alone (pypdf, cleaning) per page, and the peak memory Python allocates while reading the
PDF at N and at 3N pages (tracemalloc): it should grow with the text kept, not with the pages parsed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from speed import SQUAD, bench_indexing  # noqa: E402

from qa.text.documents import read_document  # noqa: E402


def make_report_pdf(path: Path, pages: int) -> int:
    """A report of `pages` pages or one more (the last paragraph may run over), with a running header and
    footer, chapter headings and the squad-dev and seed texts as body; returns the page count."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self):
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, "Benchmark report - public texts", new_x="LMARGIN", new_y="NEXT")

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, f"Page {self.page_no()}", align="C")

    sources = sorted((SQUAD / "docs").glob("*.txt")) + sorted((ROOT / "seeds" / "docs").glob("*.txt"))
    paragraphs = [p for s in sources for p in s.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    pdf = Report()
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    i = 0
    while pdf.page_no() < pages:
        if i % 40 == 0:
            pdf.set_font("Helvetica", "B", 14)
            pdf.cell(0, 10, f"Chapter {i // 40 + 1}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        # The core fonts are Latin-1: other characters become "?" (the text is only there to be timed).
        text = " ".join(paragraphs[i % len(paragraphs)].split()).encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, 5.5, text)
        pdf.ln(3)
        i += 1
    pdf.output(str(path))
    return pdf.page_no()


def read_seconds(path: Path) -> float:
    started = time.perf_counter()
    read_document(path, path.parent)
    return time.perf_counter() - started


def read_peak(path: Path) -> tuple[float, int]:
    """Peak MB that Python allocates reading `path` (timed apart: tracing slows it), and the text kept."""
    tracemalloc.start()
    doc = read_document(path, path.parent)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return peak, len(doc.text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        docs = tmp / "docs"
        docs.mkdir()
        pages = make_report_pdf(docs / "report.pdf", args.pages)
        big = tmp / "big"
        big.mkdir()
        big_pages = make_report_pdf(big / "report.pdf", 3 * args.pages)
        read_s = statistics.median(read_seconds(docs / "report.pdf") for _ in range(args.runs))
        (peak, chars), (big_peak, big_chars) = read_peak(docs / "report.pdf"), read_peak(big / "report.pdf")
        result = {
            "pages": pages,
            "pdf_bytes": (docs / "report.pdf").stat().st_size,
            "read_s_median": round(read_s, 3),
            "read_ms_per_page": round(1000 * read_s / pages, 2),
            "read_peak_mb": round(peak, 1),
            "text_mb": round(chars / 1e6, 2),
            f"read_peak_mb_at_{big_pages}_pages": round(big_peak, 1),
            f"text_mb_at_{big_pages}_pages": round(big_chars / 1e6, 2),
            "indexing": bench_indexing(docs, args.runs, tmp / "index"),
        }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
