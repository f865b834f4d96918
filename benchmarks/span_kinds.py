"""How often a narrower bold part would hold the answer, for question kinds that show whole sentences today.

    .venv/bin/python benchmarks/span_kinds.py [--index-root DIR]

For "who", "where", "how much" and "how long" questions of the public sets (squad-dev and the seeds'
two question files), asks each question, takes the answer sentence shown, and measures a candidate
rule for the part to put in bold: the first run of names the question does not hold (who, where),
the first amount (how much), the first number with a unit of time or length (how long). Prints, per
kind, how many questions, how many got a part, and its precision (the share holding an answer), as
`span_precision` counts it. The product bolds a kind only when this measures 0.80 or more.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answering.answers import answer  # noqa: E402
from qa.answering.spans import _NUMBER  # noqa: E402
from qa.evaluation.evaluate import prepare_index  # noqa: E402
from qa.evaluation.metrics import contains_answer  # noqa: E402
from qa.evaluation.questions import load_questions  # noqa: E402
from qa.settings import Settings  # noqa: E402

SQUAD = ROOT.parent / "shared" / "bench" / "squad-dev"
UNITS = r"(?:years?|months?|weeks?|days?|hours?|minutes?|km|kilometres?|miles?|mi|metres?|m|centuries|century|decades?)"
LONG = re.compile(rf"(?:\b(?:more than|almost|about|over|nearly|around|some)\s+)?\d[\d,.]*\s*{UNITS}\b", re.I)
MONEY = re.compile(r"(?:£|\$|€)\s?\d[\d,.]*(?:\s*(?:million|billion|thousand|m|bn))?", re.I)
WORD = re.compile(r"[A-Za-z’'-]+")
KINDS = {
    "who": re.compile(r"^\s*(who|whom|who's)\b", re.I),
    "where": re.compile(r"^\s*where\b", re.I),
    "how much": re.compile(r"^\s*how much\b", re.I),
    "how long": re.compile(r"^\s*how long\b", re.I),
}


def first_new_names(sentence: str, question: str, names: frozenset[str]) -> tuple[int, int] | None:
    asked = {w.lower() for w in WORD.findall(question)}
    run = None
    for m in WORD.finditer(sentence):
        word = m.group()
        if (word in names or (word.isupper() and word.title() in names)) and word.lower() not in asked:
            run = (run[0] if run else m.start(), m.end())
        elif run:
            return run
    return run


def span(kind: str, sentence: str, question: str, names: frozenset[str]) -> tuple[int, int] | None:
    if kind in ("who", "where"):
        return first_new_names(sentence, question, names)
    m = LONG.search(sentence) if kind == "how long" else (MONEY.search(sentence) or _NUMBER.search(sentence))
    return m.span() if m else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-root", default=Settings().index_root)
    args = parser.parse_args()
    settings = Settings(index_root=args.index_root)
    sets = [(ROOT / "seeds/docs", ROOT / "seeds/questions.jsonl"), (ROOT / "seeds/docs", ROOT / "seeds/natural.jsonl")]
    sets.append((SQUAD / "docs", SQUAD / "questions.jsonl"))
    counts = {kind: [0, 0, 0] for kind in KINDS}
    for docs, questions in sets:
        name = "eval-squad-dev" if docs == SQUAD / "docs" else "eval-seeds"
        index, _ = prepare_index(docs, name, settings, False)
        for q in load_questions(questions):
            kind = next((k for k, asks in KINDS.items() if asks.search(q.question)), None)
            if not q.answers or kind is None:
                continue
            sentence = answer(q.question, index).text
            found = span(kind, sentence, q.question, index.names)
            counts[kind][0] += 1
            if found:
                counts[kind][1] += 1
                counts[kind][2] += contains_answer(sentence[found[0] : found[1]], q.answers)
    for kind, (n, shown, right) in counts.items():
        print(f"{kind:9} questions {n:4}  part shown {shown:4}  precision {right / max(shown, 1):.2f}")


if __name__ == "__main__":
    main()
