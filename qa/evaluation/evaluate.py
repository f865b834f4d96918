"""The evaluation: ask every question of a question file in each retrieval mode and score what comes back."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm.auto import tqdm

from qa.errors import QAError
from qa.evaluation.metrics import (
    first_hit_rank,
    hit_at_k,
    mean,
    percentile,
    ranked_unique,
    reciprocal_rank,
)
from qa.evaluation.questions import Question, as_unanswerable, load_questions
from qa.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_KS = (1, 3, 5, 10)


@dataclass
class Run:
    """What came back for one question in one mode."""

    id: str
    mode: str
    answerable: bool
    rank_of_first_hit: int | None
    top_docs: list[str]
    answer: str
    answer_hit: bool
    abstained: bool
    seconds: float
    passage_chars: float
    doc_rank: int | None = None
    span_hit: bool | None = None  # whether the bold part holds an answer; None when the whole sentence is shown
    confidence: float = 0.0  # the answer's probability that the documents answer it

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "mode": self.mode,
            "rank_of_first_hit": self.rank_of_first_hit,
            "answer": self.answer,
            "abstained": self.abstained,
            "top_docs": self.top_docs[:10],
        }


def timed_answers(index, questions: list[Question], mode: str, settings: Settings, k: int, show_progress: bool):
    """(question, answer, seconds) for each question: the one timed loop of every evaluation."""
    from qa.answering.answers import answer

    for q in tqdm(questions, desc=f"asking ({mode})", unit="q", disable=not show_progress):
        started = time.perf_counter()
        result = answer(q.question, index, k=k, mode=mode, settings=settings)
        yield q, result, time.perf_counter() - started


def latency(seconds: list[float]) -> dict[str, float]:
    """Median and 95th-percentile time of one question, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {"query_ms_p50": percentile(ms, 50), "query_ms_p95": percentile(ms, 95)}


def answer_run(q: Question, result, seconds: float, mode: str) -> Run:
    """What came back for a question of a question file."""
    from qa.evaluation.metrics import contains_answer

    texts = [h.passage.text for h in result.hits]
    passage_docs = [h.passage.doc_id for h in result.hits]
    return Run(
        id=q.id,
        mode=mode,
        answerable=q.answerable,
        rank_of_first_hit=first_hit_rank(texts, q.answers) if q.answerable else None,
        top_docs=ranked_unique(passage_docs),
        answer=result.text,
        answer_hit=q.answerable and contains_answer(result.text, q.answers),
        abstained=result.abstained,
        seconds=seconds,
        passage_chars=mean(len(t) for t in texts),
        # doc_hit@k asks whether one of the top-k *passages* comes from the gold document.
        doc_rank=passage_docs.index(q.doc) + 1 if q.doc in passage_docs else None,
        span_hit=contains_answer(result.best.span_text, q.answers)
        if q.answerable and result.best and result.best.narrow_span
        else None,
        confidence=result.confidence,
    )


def run_modes(index, questions: list[Question], modes: list[str], settings: Settings, k: int, make_run, show_progress):
    """Every question in every mode, timed, turned into Runs by `make_run(question, answer, seconds, mode)`."""
    index.embedder.encode_query("warm up")  # the first call pays for lazy initialisation
    return {
        mode: [
            make_run(q, result, seconds, mode)
            for q, result, seconds in timed_answers(index, questions, mode, settings, k, show_progress)
        ]  # fmt: skip
        for mode in modes
    }


def score(runs: list[Run], ks: tuple[int, ...] = DEFAULT_KS) -> dict[str, float]:
    """The metrics of one mode's runs: hit@k, mrr@10, doc_hit@k, answer@1, abstention and speed."""
    answerable = [r for r in runs if r.answerable]
    unanswerable = [r for r in runs if not r.answerable]
    metrics: dict[str, float] = {}
    for k in ks:
        metrics[f"hit@{k}"] = mean(hit_at_k(r.rank_of_first_hit, k) for r in answerable)
    metrics["mrr@10"] = mean(reciprocal_rank(r.rank_of_first_hit, 10) for r in answerable)
    for k in ks:
        metrics[f"doc_hit@{k}"] = mean(hit_at_k(r.doc_rank, k) for r in answerable)
    metrics["answer@1"] = mean(float(r.answer_hit) for r in answerable)
    # The bold part of the answer: how often one is shown, and how often it holds the answer then.
    spans = [r.span_hit for r in answerable if r.span_hit is not None]
    metrics["span_shown"] = len(spans) / len(answerable) if answerable else 0.0
    metrics["span_precision"] = mean(float(hit) for hit in spans)
    metrics["passage_chars"] = mean(r.passage_chars for r in answerable)
    metrics["abstain"] = mean(float(r.abstained) for r in unanswerable)
    metrics["false_abstain"] = mean(float(r.abstained) for r in answerable)
    metrics.update(latency([r.seconds for r in runs]))
    return metrics


def abstain_curve(runs: list[Run], shares=(0.0, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30)) -> list[dict[str, float]]:
    """The trade-off of "not in the documents": for thresholds that decline each share of the answerable
    questions (false_abstain), the share of unanswerable ones declined (abstain)."""
    yes = sorted(r.confidence for r in runs if r.answerable)
    no = [r.confidence for r in runs if not r.answerable]
    if not yes or not no:
        return []
    out = []
    for share in shares:
        threshold = percentile(yes, share * 100)
        out.append(
            {
                "threshold": threshold,
                "false_abstain": mean(float(c < threshold) for c in yes),
                "abstain": mean(float(c < threshold) for c in no),
            }
        )
    return out


def prepare_index(docs: Path, name: str, settings: Settings, show_progress: bool) -> tuple[object, float]:
    """The index of `docs`, reused when its manifest matches the files, else built; and the build time."""
    from qa.indexing.build import build_index, is_current
    from qa.store import open_store

    if is_current(name, docs, settings):
        try:
            index = open_store(settings, name, model=settings.index.model)
            log.info("reusing the index %s", name)
            return index, float(index.manifest.get("build_seconds", 0.0))
        except QAError as exc:  # made by an older version, or damaged: build it afresh
            log.warning("rebuilding %s: %s", name, exc)
    report = build_index(docs, name, settings, show_progress=show_progress)
    return open_store(settings, name, model=settings.index.model), report.seconds


@dataclass
class Evaluation:
    """The outcome of `evaluate`: metrics per mode and every run behind them."""

    dataset: str
    docs: str
    questions: list[Question]
    modes: dict[str, dict[str, float]]
    runs: list[Run]
    settings: dict
    versions: dict

    def curve(self, mode: str) -> list[dict[str, float]]:
        return abstain_curve([r for r in self.runs if r.mode == mode])

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "docs": self.docs,
            "questions": len(self.questions),
            "answerable": sum(q.answerable for q in self.questions),
            "modes": self.modes,
            "per_question": [r.to_dict() for r in self.runs],
            "settings": self.settings,
            "versions": self.versions,
        }


def baseline(index, questions: list[Question], depth: int) -> dict[str, float]:
    """A peer in the same run: plain BM25 as bm25s gives it (its English stop words, the same stemmer, no
    context, fusion, focus or question expansion) over the very same passages."""
    from qa.store.local.keyword import bm25s_index, tokenize

    plain = bm25s_index([p.text for p in index.passages])
    answerable = [q for q in questions if q.answerable]
    ranks, doc_ranks, seconds = [], [], []
    for q in answerable:
        started = time.perf_counter()
        tokens = tokenize([q.question])
        rows = []
        if tokens.vocab and len(tokens.ids[0]):
            found, scores = plain.retrieve(tokens, k=min(depth, len(index.passages)), show_progress=False, n_threads=1)
            rows = [int(r) for r, s in zip(found[0], scores[0], strict=True) if s > 0]
        seconds.append(time.perf_counter() - started)
        ranks.append(first_hit_rank([index.passages[r].text for r in rows], q.answers))
        docs = [index.passages[r].doc_id for r in rows]
        doc_ranks.append(docs.index(q.doc) + 1 if q.doc in docs else None)
    out = {f"hit@{k}": mean(hit_at_k(r, k) for r in ranks) for k in DEFAULT_KS}
    out["mrr@10"] = mean(reciprocal_rank(r, 10) for r in ranks)
    out["doc_hit@1"] = mean(hit_at_k(r, 1) for r in doc_ranks)
    out["doc_hit@5"] = mean(hit_at_k(r, 5) for r in doc_ranks)
    out["passage_chars"] = mean(len(p.text) for p in index.passages)
    out.update(latency(seconds))
    return out


def evaluate(
    docs: str | Path,
    questions_path: str | Path,
    modes: list[str],
    ks: tuple[int, ...] = DEFAULT_KS,
    settings: Settings = Settings(),
    index_name: str | None = None,
    show_progress: bool = False,
    unanswerable_from: str | Path | None = None,
    with_baseline: bool = False,
) -> Evaluation:
    """Run every question in every mode and score the runs.

    `unanswerable_from`: another question file whose questions are added as unanswerable here (the
    cross-corpus check). `with_baseline`: add a plain-BM25 row over the same passages ("bm25-baseline").
    """
    from qa.answering.search import MODES

    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise QAError(f"unknown retrieval mode {', '.join(unknown)}: choose from {', '.join(MODES)}")
    if not ks or min(ks) < 1:
        raise QAError(f"--k takes positive whole numbers, got {ks}")
    docs = Path(docs)
    questions = load_questions(questions_path)
    foreign = as_unanswerable(load_questions(unanswerable_from)) if unanswerable_from else []
    questions = questions + foreign
    name = index_name or f"eval-{docs.resolve().parent.name if docs.name == 'docs' else docs.resolve().name}"
    index, index_seconds = prepare_index(docs, name, settings, show_progress)
    missing = sorted({q.doc for q in questions if q.doc and q.doc not in index.documents})
    if missing:
        raise QAError(f"{questions_path}: gold documents not in {docs}: {', '.join(missing[:5])}")
    depth = max(max(ks), 10)  # mrr@10 needs ten
    by_mode = run_modes(index, questions, modes, settings, depth, answer_run, show_progress)
    if settings.reader != "none" and settings.mode in modes:
        # The default mode without the reader beside it, so that every run shows what the reader adds.
        plain = settings.with_(reader="none")
        label = f"{settings.mode}-no-reader"
        runs = run_modes(index, questions, [settings.mode], plain, depth, answer_run, show_progress)[settings.mode]
        by_mode[label] = [replace(r, mode=label) for r in runs]
    modes_out = {mode: {**score(mode_runs, ks), "index_s": index_seconds} for mode, mode_runs in by_mode.items()}
    runs = [run for mode_runs in by_mode.values() for run in mode_runs]
    if foreign:  # the cross-corpus check on its own, beside `abstain` over every unanswerable question
        ids = {q.id for q in foreign}
        for mode, mode_runs in by_mode.items():
            modes_out[mode]["cross_abstain"] = mean(float(r.abstained) for r in mode_runs if r.id in ids)
    if with_baseline:
        modes_out["bm25-baseline"] = baseline(index, questions, depth)
    return Evaluation(
        dataset=str(questions_path) + (f" + unanswerable from {unanswerable_from}" if unanswerable_from else ""),
        docs=str(docs),
        questions=questions,
        modes=modes_out,
        runs=runs,
        settings={**settings.to_dict(), "ks": list(ks), "index_path": str(index.path), "store": settings.store},
        versions=index.manifest.get("versions", {}),
    )
