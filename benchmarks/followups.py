"""Follow-ups in conversation: how often each turn of `seeds/chains.jsonl`'s conversations is answered
with the right sentence, through the same path as the chat (qa.answering.conversation.ask), and how often the
follow-up rule is right on `seeds/followups.jsonl`.

    .venv/bin/python benchmarks/followups.py [--index index/seeds] [--verbose]

A turn is right when it answers (no abstention) from the expected document with a sentence that holds
one of its answers. The chains were written before the follow-up work was tuned.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def chain_figures(index, rows: list[dict], verbose: bool = False) -> dict:
    from qa.answering.conversation import ask

    right = follow_ups = follow_ups_right = 0
    turns_total = 0
    for chain in rows:
        turns = []
        for n, expected in enumerate(chain["turns"]):
            result, turn = ask(expected["question"], turns, index)
            best = result.best
            ok = (
                not result.abstained
                and best is not None
                and best.passage.doc_id == expected["doc"]
                and any(a.lower() in best.answer_text.lower() for a in expected["answers"])
            )
            right += ok
            turns_total += 1
            if n:
                follow_ups += 1
                follow_ups_right += ok
            if verbose:
                said = "(not in the documents)" if result.abstained else best.answer_text[:100]
                print(f"{chain['id']} {'ok ' if ok else 'BAD'} {expected['question']!r} -> {said}")
            turns.append(turn)
    return {
        "turns": turns_total,
        "answer@1": round(right / turns_total, 3),
        "later_turns": follow_ups,
        "later_turns_answer@1": round(follow_ups_right / follow_ups, 3),
    }


def rule_figures(rows: list[dict]) -> dict:
    from qa.answering.conversation import is_follow_up

    out = {}
    for name, part in (
        ("design", [r for r in rows if not r.get("held_out")]),
        ("held_out", [r for r in rows if r.get("held_out")]),
    ):
        out[f"rule_accuracy_{name}"] = round(
            sum(is_follow_up(r["question"]) == r["follow_up"] for r in part) / len(part), 3
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=str(ROOT / "index" / "seeds"))
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    from qa.store.local.index import Index

    read = lambda name: [json.loads(line) for line in (ROOT / "seeds" / name).read_text().splitlines() if line.strip()]  # noqa: E731
    figures = {
        **chain_figures(Index.load(args.index), read("chains.jsonl"), args.verbose),
        **rule_figures(read("followups.jsonl")),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
