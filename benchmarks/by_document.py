"""By document beside one answer, in the same run: the median time of `by_document` (every document's
answer, one reader call over up to READ_BUDGET sentences) against `answer` for the same questions,
with and without the reader.

    .venv/bin/python benchmarks/by_document.py [--index index/seeds] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What does each PCC say about funding?",
    "Compare what the responses say about collaboration",
    "What did each commissioner say about the inspection?",
    "Compare the recommendations each response mentions",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=str(ROOT / "index" / "seeds"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from qa.answering.answers import answer
    from qa.answering.compare import by_document
    from qa.settings import Settings
    from qa.store.local.index import Index

    index = Index.load(args.index)
    out = {}
    for settings in (Settings(), Settings(reader="none")):
        by_document(QUESTIONS[0], index, settings=settings)  # loads the reader and warms the caches
        compared, single = [], []
        for _ in range(args.runs):
            for question in QUESTIONS:
                started = time.perf_counter()
                by_document(question, index, settings=settings)
                compared.append(time.perf_counter() - started)
                started = time.perf_counter()
                answer(question, index, settings=settings)
                single.append(time.perf_counter() - started)
        a, b = statistics.median(compared) * 1000, statistics.median(single) * 1000
        out[settings.reader] = {
            "by_document_ms_p50": round(a, 1),
            "answer_ms_p50": round(b, 1),
            "ratio": round(a / b, 2),
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
