"""The fitted scorers and the signals they weigh: focus, names, stored weights and their figures."""

from __future__ import annotations

import json

import bm25s
import numpy as np
import pytest

from qa.answering.focus import question_focus
from qa.answering.scoring import QUESTION_FEATURES, SENTENCE_FEATURES, WEIGHTS, load_scorers
from qa.text.documents import read_folder
from qa.text.names import learn_names, new_names, new_person
from qa.text.terms import _stemmer, terms
from tests.conftest import ROOT, SEEDS

ROWS = ROOT / "benchmarks" / "scorer-features.npz"


def test_terms_split_text_exactly_as_the_keyword_index_does():
    for doc in read_folder(SEEDS):
        for paragraph in doc.text.split("\n\n"):
            expected = bm25s.tokenize(
                [paragraph], stopwords="en", stemmer=_stemmer(), show_progress=False, return_ids=False
            )
            assert terms(paragraph) == expected[0]


def test_the_rarest_word_of_a_question_weighs_most(seeds_index):
    focus = question_focus("Who is the PCC for Cheshire?", seeds_index)
    weights = dict(zip(focus.terms, focus.weights, strict=True))
    assert set(weights) == {"pcc", "cheshir"}
    assert weights["cheshir"] > weights["pcc"]  # Cheshire is in one document; PCC in four
    assert abs(sum(weights.values()) - 1) < 1e-6
    # A passage that names Cheshire covers more of the question than one that only says PCC.
    rows = {p.doc_id: row for row, p in enumerate(seeds_index.passages)}
    cheshire, merseyside = rows["002_59c356561a19db13.txt"], rows["000_29b695066cafc06c.txt"]
    covered = focus.coverage(np.array([cheshire, merseyside]))
    assert covered[0] > covered[1]
    # "Australia" is in no passage: its weight is missing from every one.
    absent = question_focus("What is the capital of Australia?", seeds_index)
    assert absent.missing(np.arange(len(seeds_index.passages))) > 0.5


def test_names_are_capitalised_words_the_documents_never_write_in_lower_case():
    names = learn_names(
        ["The report was welcomed by Emily Spurrell of Merseyside Police.", "The police and the Police Board met."]
    )
    assert {"Spurrell", "Merseyside", "Emily"} <= set(names)
    assert "Police" not in names and "Board" in names  # "police" is also written in lower case
    frozen = frozenset(names)
    assert new_names("Emily Spurrell welcomed it.", "Who welcomed the report?", frozen) == 1.0
    assert new_names("Emily Spurrell welcomed it.", "What did Emily Spurrell say?", frozen) == 0.0


def test_a_who_answer_is_a_name_not_an_acronym_a_month_or_the_question_itself():
    names = frozenset({"Keane", "David", "Dorset", "HMICFRS", "February", "Commissioner"})
    who = {"who", "is", "the", "pcc", "for", "cheshire", "police", "and", "crime", "commissioner"}
    assert new_person("RESPONSE OF DAVID KEANE, POLICE & CRIME COMMISSIONER FOR CHESHIRE", who, names) == 1.0
    assert new_person("Response of David Keane to the report.", who, names) == 1.0
    assert new_person("This post is supported by a lead Force (Dorset).", who | {"dorset"}, names) == 0.0
    assert new_person("The HMICFRS report was published in February 2022.", who, names) == 0.0
    assert new_person("RESPONSE OF THE COMMISSIONER TO THE HMICFRS REPORT", who, names) == 0.0
    assert new_person("Response of David Keane.", who | {"david", "keane"}, names) == 0.0


def test_the_stored_scorers_load_and_answer_on_a_zero_to_one_scale():
    scorers = load_scorers()
    assert scorers.sentence.names == SENTENCE_FEATURES and scorers.answerable.names == QUESTION_FEATURES
    assert 0 < scorers.threshold < 1
    p = scorers.sentence.probability(np.tile(scorers.sentence.mean, (3, 1)))
    assert p.shape == (3,) and np.all((p > 0) & (p < 1))


def test_the_stored_scorers_reproduce_their_cross_validated_figures():
    """Refit from the stored rows with the fixed folds: the same weights and the same held-out figures.

    scikit-learn comes with the test extras (the Makefile installs them): no skip if it is missing.
    """
    from qa.training.fit import Table, cross_validate, fit

    stored = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    table = Table.load(ROWS)
    figures = cross_validate(table, list(stored["figures"]))
    for name, expected in stored["figures"].items():
        for metric in set(expected) - {"unseen_dataset"}:
            assert figures[name][metric] == pytest.approx(expected[metric], abs=1e-4), (name, metric)
    sentence, answerable, threshold = fit(table, np.arange(len(table.answerable)))
    assert np.allclose(sentence.coef, stored["sentence"]["coef"], atol=1e-4)
    assert np.allclose(answerable.coef, stored["answerable"]["coef"], atol=1e-4)
    assert threshold == pytest.approx(stored["threshold"], abs=1e-5)


def test_the_readers_decisions_reproduce_their_cross_validated_figures():
    """The reader's logits are stored with the rows: refitting its combiner, answerable scorer and
    threshold on the same folds gives the stored figures and weights."""
    from qa.answering.verdict import load_reader_scorers
    from qa.training.fit import Table
    from qa.training.fit_reader import cross_validate_reader, fit_reader

    stored = json.loads(WEIGHTS.read_text(encoding="utf-8"))["reader"]
    table = Table.load(ROWS)
    figures, curves = cross_validate_reader(table, list(stored["figures"]), stored["candidates"], stored["each"])
    for name, expected in stored["figures"].items():
        for metric, value in expected.items():
            assert figures[name][metric] == pytest.approx(value, abs=1e-4), (name, metric)
    assert curves == stored["curve"]
    verdict = fit_reader(table, np.arange(len(table.answerable)), stored["candidates"], stored["each"])[0]
    shipped = load_reader_scorers()
    assert np.allclose(verdict.combiner.coef, shipped.combiner.coef, atol=1e-4)
    assert np.allclose(verdict.answerable.coef, shipped.answerable.coef, atol=1e-4)
    assert verdict.threshold == pytest.approx(shipped.threshold, abs=1e-5)
    assert verdict.span_kinds == shipped.span_kinds and verdict.each == shipped.each
    assert verdict.high == pytest.approx(shipped.high, abs=1e-5)


def test_saved_rows_refit_without_a_deleted_signal_of_either_kind(tmp_path):
    """Rows are saved with their column names, sentence features and question signals alike, so a
    signal deleted since refits from them without a model call (and a silent shift of columns cannot
    happen: a deleted question signal once left the answerable scorer one weight too many)."""
    from qa.answering.scoring import QUESTION_SIGNALS
    from qa.training.fit import Table

    table = Table.load(ROWS)
    path = tmp_path / "rows.npz"
    table.save(path)
    with np.load(path) as data:
        saved = {k: data[k] for k in data.files}
    # As if each kind had one more signal, since deleted: a column the code no longer names.
    saved["features"] = np.c_[saved["features"], np.ones(len(saved["features"]))]
    saved["feature_names"] = np.r_[saved["feature_names"], ["gone"]]
    saved["signals"] = np.c_[np.ones(len(saved["signals"])), saved["signals"]]
    saved["signal_names"] = np.r_[["gone too"], saved["signal_names"]]
    np.savez_compressed(path, **saved)
    again = Table.load(path)
    assert np.array_equal(again.features, table.features) and np.array_equal(again.signals, table.signals)
    assert again.signals.shape[1] == len(QUESTION_SIGNALS)
    # A column the code names and the rows lack cannot be made up: the rows must be collected again.
    saved["signal_names"] = np.r_[["gone too"], saved["signal_names"][:-1], ["renamed"]]
    np.savez_compressed(path, **saved)
    with pytest.raises(ValueError, match="collect the rows again"):
        Table.load(path)
