"""Follow-ups: a question leans on the one before only when it cannot stand alone."""

from __future__ import annotations

import json

from qa.answering.conversation import Turn, contextualize, is_follow_up, subject
from tests.conftest import ROOT

ROWS = [json.loads(line) for line in (ROOT / "seeds" / "followups.jsonl").read_text().splitlines() if line.strip()]


def _accuracy(rows: list[dict]) -> float:
    return sum(is_follow_up(r["question"]) == r["follow_up"] for r in rows) / len(rows)


def test_the_follow_up_rule_is_right_at_least_nine_times_in_ten():
    design = [r for r in ROWS if not r.get("held_out")]
    held_out = [r for r in ROWS if r.get("held_out")]
    assert sum(r["follow_up"] for r in design) >= 30 and sum(not r["follow_up"] for r in design) >= 30
    assert _accuracy(design) >= 0.95  # the set the rule was written against: 70 of 70 today
    assert _accuracy(held_out) >= 0.90  # 20 questions written after the rule: 18 of 20 today


def test_a_question_that_stands_alone_is_searched_alone():
    first = "Who is the Police and Crime Commissioner for Cheshire?"
    turns = [Turn(first, first)]
    # Once glued to the question before it for its "it".
    alone = "Is it true that Cheshire already funds a dedicated ACC post?"
    assert contextualize(alone, turns) == alone
    assert contextualize("When did he respond to the report?", turns).startswith(first)
    assert contextualize("When did he respond to the report?", []) == "When did he respond to the report?"


def test_follow_ups_lean_on_the_question_that_set_the_subject():
    first = "What did Merseyside's PCC say about funding?"
    turns = [Turn(first, first), Turn("And Cheshire?", f"{first} And Cheshire?")]
    assert subject(turns) == first
    assert contextualize("And Wiltshire?", turns) == f"{first} And Wiltshire?"
    assert is_follow_up("How many police forces work together in it?")  # a pronoun at the very end
    assert not is_follow_up(" ".join(["and these others"] * 12))  # a long question stands alone


def test_three_question_conversations_are_answered_turn_after_turn(seeds_index):
    """seeds/chains.jsonl: nine conversations of three questions, written before the follow-up work
    (the old rule, each follow-up glued to the question before it, got 19 of 27 turns; 25 with the
    step-3,200 reader, 24 once three signals were deleted, 22 with the cooled step-9,200 one and 22 with
    the six-layer reader: it finds the NWROCU's PEEL rating for "Which ROCU was the first to be rated
    outstanding?" and loses "And what did the Assistant Chief Constable say?", declined at 0.27, its best
    sentence the line that introduces the quote rather than the quote; docs/reader.md)."""
    from qa.answering.conversation import ask

    chains = [json.loads(line) for line in (ROOT / "seeds" / "chains.jsonl").read_text().splitlines() if line]
    right = 0
    for chain in chains:
        turns = []
        for expected in chain["turns"]:
            result, turn = ask(expected["question"], turns, seeds_index)
            best = result.best
            right += (
                not result.abstained
                and best.passage.doc_id == expected["doc"]
                and any(a.lower() in best.answer_text.lower() for a in expected["answers"])
            )
            turns.append(turn)
    assert right >= 22, right  # of 27; "How much were the drugs worth?" after Blenheim among them
