"""The reader's training data (qa.training.pairs, qa.training.shapes): shaped like documents, near-topic
negatives that really change the question, and the same pairs in every process."""

from __future__ import annotations

import random
import subprocess
import sys

from qa.training import shapes
from qa.training.pairs import examples_of, is_worded
from tests.conftest import ROOT

ARTICLE = [
    "In 2021 Emily Spurrell became Police Commissioner for Merseyside. She chairs the regional group.",
    "Jane Kennedy held the post from 2012. In 2015 the unit seized 300 firearms.",
]


def test_a_swapped_question_names_another_person_or_year_of_the_article_that_its_answer_does_not_hold():
    article = shapes.Article.of(ARTICLE)
    assert "Emily Spurrell" in article.names and "2012" in article.years
    holds = "In 2021 Emily Spurrell became Police Commissioner for Merseyside."
    swapped = {shapes.swapped_question("When did Emily Spurrell become commissioner?", holds, article, random.Random(s))
               for s in range(20)}  # fmt: skip
    assert swapped and None not in swapped
    for question in swapped:
        assert "Emily Spurrell" not in question  # the name the answer holds is gone...
        assert any(name in question for name in ("Jane Kennedy", "Police Commissioner")) or "2012" in question
    # Nothing of the question in what answers: nothing to swap.
    assert shapes.swapped_question("Who chairs it?", holds, article, random.Random(0)) is None


def test_list_items_and_table_rows_keep_the_answer_span_on_the_answer():
    sentence = "In 2015 the unit seized 300 firearms."
    span = (sentence.index("300"), sentence.index("300") + 3)
    item, moved = shapes.as_list_item(sentence, span)
    assert item.startswith("• ") and not item.endswith(".") and item[moved[0] : moved[1]] == "300"
    row, moved = shapes.as_table_row(sentence, span, "Another cell.", random.Random(3))
    assert ": " in row and "; " in row and row[moved[0] : moved[1]] == "300"


def test_one_question_gives_its_positive_its_negatives_and_a_near_topic_one():
    row = {"question": "How many firearms did the unit seize in 2015?", "title": "Merseyside",
           "context": ARTICLE[1], "answerable": True, "answers": [{"text": "300", "start": 0}]}  # fmt: skip
    kinds = set()
    for seed in range(30):
        pairs = examples_of(row, [ARTICLE[0]], random.Random(seed))
        positives = [p for p in pairs if p.label == 1.0]
        assert positives and all("300" in p.sentence[p.span[0] : p.span[1]] for p in positives if p.span[0] >= 0)
        # Headings and lead-ins made here never count as answers, whatever words they hold.
        assert all(p.label == 0.0 for p in pairs if p.kind in ("heading", "lead-in", "near-topic"))
        kinds |= {p.kind for p in pairs}
    assert {"prose", "near-topic", "heading"} <= kinds
    near = next(p for p in examples_of(row, [ARTICLE[0]], random.Random(0)) if p.kind == "near-topic")
    # Its year or its count is another of the article's: the sentence that answered no longer does.
    assert near.question != row["question"] and near.sentence == ARTICLE[1].split(". ")[1]


def test_a_question_worded_like_a_persons_copies_no_run_of_three_words_and_few_words_of_its_answer():
    def row(question: str) -> dict:
        return {"question": question, "title": "Merseyside", "context": ARTICLE[1], "answerable": True,
                "answers": [{"text": "300", "start": 0}]}  # fmt: skip

    assert is_worded(row("How many guns did the regional team take off the streets?"))
    assert not is_worded(row("How many firearms did the unit seized in 2015?"))  # "the unit seized"
    # No run of three copied, but most of its words are the answer sentence's.
    assert not is_worded(row("In 2015 how many firearms were seized by the unit?"))
    # The answer text is not in the paragraph: no sentence to compare with, not taken.
    assert not is_worded({**row("How many guns were seized?"), "answers": [{"text": "400", "start": 0}]})


def test_the_same_seed_makes_the_same_pairs_in_every_process():
    """A resumed run rebuilds its pairs: string hashing differs between processes, the pairs must not."""
    code = (
        "import hashlib, sys; from pathlib import Path; from qa.training.pairs import build_examples; "
        "tr, held = build_examples(Path(sys.argv[1]), {'squad2-dev-train.jsonl.gz': 200}, 13); "
        "print(hashlib.sha256(repr([(e.question, e.sentence, e.label, e.kind) for e in tr]).encode()).hexdigest())"
    )
    data = str(ROOT.parent / "shared" / "train")
    runs = {
        subprocess.run(
            [sys.executable, "-c", code, data],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout  # fmt: skip
        for seed in ("1", "2")
    }
    assert len(runs) == 1 and len(runs.pop().strip()) == 64


def test_a_line_break_inside_a_training_paragraph_reads_as_prose():
    """Training contexts are raw text: a line break there is a space, as a reader makes it (only the
    product's code blocks keep lines, and those are never split into sentences)."""
    from qa.training.pairs import _split

    assert _split("Reddit posts wrap\nlines. Then another sentence.\n\nA new paragraph.") == [
        "Reddit posts wrap lines.",
        "Then another sentence.",
        "A new paragraph.",
    ]
