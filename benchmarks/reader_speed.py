"""What one reader call costs by candidates and word pieces, beside a raw encode of the question.

    .venv/bin/python benchmarks/reader_speed.py [--tokens 64 96 128] [--candidates 8 16 24] [--runs 7]

The reader's cost is pieces x layers x candidates: this prints the median time of one batched call
for each size, with the raw `model.encode` of the question timed in the same run (the speed target is
a multiple of it), so a reader's size can be chosen against the budget.
"""

from __future__ import annotations

import argparse
import statistics
import time

QUESTION = "How many firearms did the unit seize during the last twelve months of operations?"
SENTENCE = (
    "We safeguarded almost 300 vulnerable children and adults and put some of the most dangerous criminals "
    "in the region behind bars for almost 200 years for drugs and firearms offences."
)
CONTEXT = (
    "North West Organised Crime Unit. During the past 12 months (November 22-23), the NWROCU carried out "
    "more than 5900 disruptions against serious organised crime threats."
)


def median_ms(call, runs: int) -> float:
    call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    from sentence_transformers import SentenceTransformer

    from qa.answering.reader import load_reader
    from qa.embedding import resolve_model
    from qa.settings import BUNDLED_MODEL

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, nargs="*", default=[64, 96, 128])
    parser.add_argument("--candidates", type=int, nargs="*", default=[8, 16, 24])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    model = SentenceTransformer(resolve_model(BUNDLED_MODEL)[0], device="cpu")
    encode = median_ms(lambda: model.encode(QUESTION), 4 * args.runs)
    print(f"raw encode of the question: {encode:.1f} ms")
    reader = load_reader()
    for tokens in args.tokens:
        reader.max_tokens = tokens
        for n in args.candidates:
            ms = median_ms(lambda n=n: reader.read(QUESTION, [(SENTENCE, CONTEXT)] * n), args.runs)
            print(f"{tokens} pieces, {n} candidates: {ms:.1f} ms ({ms / encode:.1f}x the encode)")


if __name__ == "__main__":
    main()
