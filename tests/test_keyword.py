"""The keyword engine: BM25 from postings equals bm25s's; segments merge to the same scores; learned counts."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.store.local.keyword import KeywordIndex, Postings, bm25s_index, query_terms
from qa.text.abbreviations import learn
from qa.text.documents import read_folder
from qa.text.learned import Learned
from qa.text.names import learn_names
from tests.conftest import SEEDS

QUESTIONS = ["Who is the PCC for Cheshire?", "TITAN prison sentences", "regional organised crime units funding"]


def _paragraphs() -> list[str]:
    return [p for doc in read_folder(SEEDS) for p in doc.text.split("\n\n") if p.strip()]


def test_bm25_from_postings_equals_bm25s_on_the_same_texts():
    texts = _paragraphs()
    ours, theirs = KeywordIndex.build(texts), bm25s_index(texts)
    for question in QUESTIONS:
        asked = [t for t in query_terms(question) if t in theirs.vocab_dict]
        np.testing.assert_allclose(ours.scores(question), theirs.get_scores(asked), rtol=1e-5, atol=1e-6)


WORDS = ["otter", "river", "bridge", "ferry", "survey", "flood", "count", "keeper"]


@settings(max_examples=25, deadline=None)
@given(
    texts=st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join), min_size=2, max_size=12),
    cut=st.integers(0, 12),
    gone=st.sets(st.integers(0, 11)),
)
def test_segments_with_removed_rows_score_as_an_index_of_the_live_rows(texts, cut, gone):
    """Two segments, some rows removed: the same scores as one index built from the live rows alone."""
    cut = min(cut, len(texts))
    live = [i for i in range(len(texts)) if i not in gone]
    if not live:
        return
    where = np.full(len(texts), -1, dtype=np.int64)
    where[live] = np.arange(len(live))
    parts = [(Postings.build(texts[:cut]), where[:cut]), (Postings.build(texts[cut:]), where[cut:])]
    merged = KeywordIndex(parts, len(live))
    fresh = KeywordIndex.build([texts[i] for i in live])
    for question in ["otter river", "flood keeper count", "survey"]:
        a, b = merged.scores(question), fresh.scores(question)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-6)
    for word in WORDS:
        assert sorted(merged.rows_with(word)) == sorted(fresh.rows_with(word))


def test_learned_counts_after_adds_and_removes_equal_learning_afresh():
    texts = [doc.text for doc in read_folder(SEEDS)]
    learned = Learned()
    learned.add(texts)
    learned.remove(texts[1:3])
    learned.add(texts[2:3])
    rest = [texts[0], *texts[3:], texts[2]]
    assert learned.abbreviations() == learn(rest) and learned.names() == learn_names(rest)
    assert learned.abbreviations() != learn(texts)  # 002 (Cheshire) taught something: it is gone now
