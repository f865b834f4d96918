"""Metrics against cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from qa.evaluation.metrics import (
    contains_answer,
    first_hit_rank,
    hit_at_k,
    mrr_at_k,
    ndcg_at_k,
    normalize,
    percentile,
    ranked_unique,
    recall_at_k,
    reciprocal_rank,
)


def test_normalize_removes_case_punctuation_articles_and_spaces():
    assert normalize("The  North Sea, in  the Netherlands!") == "north sea in netherlands"
    assert normalize("‘An’ apple") == "apple"


def test_contains_answer_uses_normalised_substrings():
    assert contains_answer("It flows into the North-Sea.", ["north sea"]) is False  # "northsea" once the hyphen goes
    assert contains_answer("It flows into the North Sea.", ["the North Sea"]) is True
    assert contains_answer("Rated OUTSTANDING.", ["outstanding"]) is True
    assert contains_answer("anything", []) is False


def test_ranks_hits_and_reciprocal_ranks():
    texts = ["nothing here", "still nothing", "the answer is Rollo", "Rollo again"]
    assert first_hit_rank(texts, ["Rollo"]) == 3  # first text containing it
    assert first_hit_rank(texts, ["Charlemagne"]) is None
    assert [hit_at_k(3, k) for k in (1, 3, 5)] == [0.0, 1.0, 1.0]
    assert hit_at_k(None, 10) == 0.0
    assert reciprocal_rank(3) == pytest.approx(1 / 3)
    assert reciprocal_rank(11, k=10) == 0.0  # beyond the cut-off counts as a miss


def test_ndcg_recall_mrr_by_hand():
    ranking = ["d1", "d2", "d3", "d4"]
    relevant = {"d2": 1.0, "d4": 2.0, "d9": 1.0}  # d9 never retrieved
    # DCG = 1/log2(3) [d2 at rank 2] + 2/log2(5) [d4 at rank 4]
    dcg = 1 / math.log2(3) + 2 / math.log2(5)
    # ideal order: grades 2, 1, 1 at ranks 1, 2, 3
    idcg = 2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranking, relevant, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(ranking, relevant, 1) == 0.0  # d1 is not relevant
    assert recall_at_k(ranking, relevant, 10) == pytest.approx(2 / 3)
    assert recall_at_k(ranking, relevant, 2) == pytest.approx(1 / 3)
    assert mrr_at_k(ranking, relevant, 10) == pytest.approx(1 / 2)


def test_ranked_unique_and_percentile():
    assert ranked_unique(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]
    assert percentile([10, 20, 30, 40], 50) == 25  # halfway between 20 and 30
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95) == pytest.approx(9.55)
    assert percentile([], 50) == 0.0
