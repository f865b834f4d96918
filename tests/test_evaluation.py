"""The evaluation: question-file errors, scoring of runs, and one full run on the seeds."""

from __future__ import annotations

import json

import pytest

from qa.cli import main
from qa.errors import QAError
from qa.evaluation.beir import evaluate_beir, load_beir
from qa.evaluation.evaluate import Run, score
from qa.evaluation.questions import load_questions
from qa.settings import Settings
from tests.conftest import ROOT


def write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"q.jsonl:2: not valid JSON"),
        ('["a list"]', r"q.jsonl:2: expected a JSON object"),
        ('{"id": "x", "question": "Why?"}', r"q.jsonl:2: missing answers"),
        ('{"id": "x", "question": "  ", "answers": []}', r"q.jsonl:2: 'question' must be a non-empty string"),
        ('{"id": "x", "question": "Why?", "answers": "yes"}', r"q.jsonl:2: 'answers' must be a list of strings"),
        ('{"id": "q1", "question": "Why?", "answers": []}', r"q.jsonl:2: duplicate id 'q1'"),
    ],
)
def test_a_malformed_question_line_names_file_and_line(tmp_path, line, message):
    path = write(
        tmp_path / "q.jsonl", ['{"id": "q1", "question": "Where?", "answers": ["here"], "doc": "a.txt"}', line]
    )
    with pytest.raises(QAError, match=message):
        load_questions(path)


def test_question_file_fields_and_extras(tmp_path):
    path = write(tmp_path / "q.jsonl", ['{"id": 7, "question": "Who?", "answers": [], "doc": null, "extra": 1}', ""])
    [q] = load_questions(path)
    assert (q.id, q.question, q.answers, q.doc, q.answerable) == ("7", "Who?", [], None, False)
    with pytest.raises(QAError, match="question file not found"):
        load_questions(tmp_path / "none.jsonl")


def run(rank, answerable=True, abstained=False, answer_hit=False, doc_rank=None, seconds=0.01, chars=100.0, span=None):
    return Run("q", "dense", answerable, rank, [], "", answer_hit, abstained, seconds, chars, doc_rank, span_hit=span)


def test_score_by_hand():
    runs = [
        run(1, answer_hit=True, doc_rank=1, seconds=0.010, span=True),
        run(3, doc_rank=1, seconds=0.020, span=False),
        run(None, doc_rank=4, abstained=True, seconds=0.030, chars=300.0),  # a miss, wrongly abstained
        run(None, answerable=False, abstained=True, seconds=0.040),
        run(None, answerable=False, abstained=False, seconds=0.050),
    ]
    m = score(runs, ks=(1, 3, 5))
    assert m["hit@1"] == pytest.approx(1 / 3)  # only the first of three answerable
    assert m["hit@3"] == pytest.approx(2 / 3)
    assert m["mrr@10"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert m["doc_hit@1"] == pytest.approx(2 / 3) and m["doc_hit@5"] == 1.0
    assert m["answer@1"] == pytest.approx(1 / 3)
    assert m["span_shown"] == pytest.approx(2 / 3) and m["span_precision"] == 0.5  # one of the two bold parts is right
    assert m["passage_chars"] == pytest.approx((100 + 100 + 300) / 3)
    assert m["abstain"] == 0.5 and m["false_abstain"] == pytest.approx(1 / 3)
    assert m["query_ms_p50"] == pytest.approx(30.0) and m["query_ms_p95"] == pytest.approx(48.0)


def test_beir_metrics_on_a_tiny_dataset(tmp_path, embedder):
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    corpus = [
        ("c1", "Rhine", "The Rhine flows into the North Sea through the Netherlands."),
        ("c2", "Normans", "Rollo was the first ruler of Normandy, a Viking leader."),
        ("c3", "Cooking", "Bread needs flour, water, salt and yeast."),
    ]
    write(beir / "corpus.jsonl", [json.dumps({"_id": i, "title": t, "text": x}) for i, t, x in corpus])
    write(beir / "queries.jsonl", [json.dumps({"_id": "q1", "text": "Who ruled Normandy first?"}),
                                   json.dumps({"_id": "q2", "text": "unjudged"})])  # fmt: skip
    write(beir / "qrels" / "test.tsv", ["query-id\tcorpus-id\tscore", "q1\tc2\t1"])
    corpus_rows, questions = load_beir(beir)
    assert [q.id for q in questions] == ["q1"] and len(corpus_rows) == 3
    result = evaluate_beir(beir, ["hybrid"], Settings(index_root=str(tmp_path / "ix")))
    m = result.modes["hybrid"]
    # One relevant document; if it comes first, nDCG@10 = MRR@10 = recall = 1.
    assert m["ndcg@10"] == 1.0 and m["mrr@10"] == 1.0 and m["recall@10"] == 1.0


def test_qa_eval_on_the_seeds_writes_json_report_and_plot(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    out.mkdir()
    argv = ["--index-root", str(tmp_path / "ix"), "eval", "-q", "--modes", "dense,hybrid", "--failures", "2"]
    argv += ["--json", str(out / "r.json"), "--report", str(out / "r.md"), "--plot", str(out / "r.png")]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "hybrid" in printed and "hit@1" in printed and "worst 2" in printed
    # The seeds' three question sets by default: worded like the documents, as people ask, and in
    # people's own words with no three words of the answer (a third of them near-topic, unanswered).
    seeds, natural, paraphrased = json.loads((out / "r.json").read_text())["evaluations"]
    assert natural["dataset"].endswith("natural.jsonl") and natural["answerable"] >= 40
    assert natural["questions"] - natural["answerable"] >= 12
    assert paraphrased["dataset"].endswith("paraphrased.jsonl") and paraphrased["questions"] >= 40
    assert paraphrased["questions"] - paraphrased["answerable"] >= paraphrased["questions"] // 3
    data = seeds
    assert data["questions"] >= 40 and data["questions"] - data["answerable"] >= 8
    for mode in ("dense", "hybrid"):
        m = data["modes"][mode]
        assert all(0.0 <= m[name] <= 1.0 for name in ("hit@1", "hit@10", "mrr@10", "answer@1", "abstain"))
        assert m["hit@1"] <= m["hit@3"] <= m["hit@5"] <= m["hit@10"]
    # The seeds are the product's home ground: hybrid must find the answer passage first most of the time.
    assert data["modes"]["hybrid"]["hit@1"] >= 0.8 and data["modes"]["hybrid"]["hit@5"] >= 0.95
    assert {"id", "mode", "rank_of_first_hit", "answer", "abstained", "top_docs"} <= set(data["per_question"][0])
    assert "| mode |" in (out / "r.md").read_text() and "worst questions" in (out / "r.md").read_text()
    assert (out / "r.png").read_bytes()[:4] == b"\x89PNG"


def test_eval_refuses_unknown_modes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["--index-root", str(tmp_path), "eval", "--modes", "dense,magic"]) == 1
    assert "unknown retrieval mode magic" in capsys.readouterr().err


def test_eval_adds_a_plain_bm25_baseline_and_another_corpus_as_unanswerable(tmp_path, monkeypatch, capsys):
    from qa.evaluation.evaluate import evaluate

    monkeypatch.chdir(ROOT)
    settings = Settings(index_root=str(tmp_path / "ix"))
    squad = ROOT.parent / "shared" / "bench" / "squad-dev" / "questions.jsonl"
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text("\n".join(squad.read_text(encoding="utf-8").splitlines()[:12]) + "\n", encoding="utf-8")
    result = evaluate(
        "seeds/docs", "seeds/questions.jsonl", ["hybrid"], settings=settings,
        unanswerable_from=foreign, with_baseline=True,
    )  # fmt: skip
    asked = {q.id for q in result.questions}
    assert len(asked) == 52 + 12 and sum(i.startswith("x-") for i in asked) == 12
    baseline = result.modes["bm25-baseline"]
    assert 0 < baseline["hit@1"] <= baseline["hit@10"] <= 1 and "answer@1" not in baseline
    # Questions about Normans and the Rhine asked of police reports: none may be answered.
    foreign_runs = [r for r in result.runs if r.id.startswith("x-")]
    assert all(r.abstained for r in foreign_runs) and result.modes["hybrid"]["cross_abstain"] == 1.0
