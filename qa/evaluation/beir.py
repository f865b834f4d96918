"""BEIR datasets (corpus.jsonl, queries.jsonl, qrels/test.tsv) evaluated with the same pipeline as question files."""

from __future__ import annotations

import json
from pathlib import Path

from qa.errors import QAError
from qa.evaluation.evaluate import Evaluation, Run, latency, prepare_index, run_modes
from qa.evaluation.metrics import mean, mrr_at_k, ndcg_at_k, ranked_unique, recall_at_k
from qa.evaluation.questions import Question
from qa.settings import Settings


def load_beir(folder: str | Path) -> tuple[list[dict], list[Question]]:
    """A BEIR dataset: corpus.jsonl (_id, title, text), queries.jsonl (_id, text), qrels/test.tsv."""
    folder = Path(folder)
    paths = {name: folder / name for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv")}
    for name, path in paths.items():
        if not path.is_file():
            raise QAError(f"{folder} is not a BEIR folder: {name} is missing")
    corpus = []
    for number, line in enumerate(paths["corpus.jsonl"].read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
                corpus.append({"id": str(row["_id"]), "title": row.get("title") or "", "text": row["text"]})
            except (ValueError, KeyError, TypeError) as exc:
                raise QAError(f"{paths['corpus.jsonl']}:{number}: expected _id, title, text ({exc})") from exc
    qrels: dict[str, dict[str, float]] = {}
    for number, line in enumerate(paths["qrels/test.tsv"].read_text(encoding="utf-8").splitlines(), 1):
        parts = line.strip().split("\t")
        if not line.strip() or (number == 1 and not parts[-1].lstrip("-").isdigit()):
            continue  # blank, or the header line
        if len(parts) != 3:
            raise QAError(f"{paths['qrels/test.tsv']}:{number}: expected query-id, corpus-id, score")
        qrels.setdefault(parts[0], {})[parts[1]] = float(parts[2])
    questions = []
    for number, line in enumerate(paths["queries.jsonl"].read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
                qid, text = str(row["_id"]), row["text"]
            except (ValueError, KeyError, TypeError) as exc:
                raise QAError(f"{paths['queries.jsonl']}:{number}: expected _id, text ({exc})") from exc
            if qid in qrels:  # BEIR scores only the queries that have judgements
                questions.append(Question(qid, text, [], relevant=qrels[qid]))
    if not questions:
        raise QAError(f"no judged queries in {folder}: qrels/test.tsv names none of queries.jsonl's ids")
    return corpus, questions


def evaluate_beir(
    folder: str | Path,
    modes: list[str],
    settings: Settings = Settings(),
    index_name: str | None = None,
    show_progress: bool = False,
) -> Evaluation:
    """nDCG@10, recall@10, recall@100 and MRR@10 over a BEIR dataset, a document per corpus entry."""
    folder = Path(folder)
    corpus, questions = load_beir(folder)
    name = index_name or f"beir-{folder.resolve().name}"
    # The corpus becomes a folder of text files (title, blank line, text) so it is indexed like any
    # other documents; file i is corpus entry i.
    docs = Path(settings.index_root) / f".{name}-docs"
    docs.mkdir(parents=True, exist_ok=True)
    width = len(str(len(corpus)))
    id_of = {}
    for i, entry in enumerate(corpus):
        file = docs / f"{i:0{width}d}.txt"
        body = f"{entry['title']}\n\n{entry['text']}" if entry["title"] else entry["text"]
        if not file.exists() or file.read_text(encoding="utf-8") != body:
            file.write_text(body, encoding="utf-8")
        id_of[file.name] = entry["id"]
    index, index_seconds = prepare_index(docs, name, settings, show_progress)
    relevant = {q.id: q.relevant for q in questions}

    def beir_run(q: Question, result, seconds: float, mode: str) -> Run:
        ranking = ranked_unique(id_of[h.passage.doc_id] for h in result.hits)  # passages -> corpus entries
        first = next((r for r, doc in enumerate(ranking, 1) if q.relevant.get(doc, 0) > 0), None)
        return Run(q.id, mode, True, first, ranking, result.text, False, False, seconds, 0.0)

    # Every passage ranked, none declined: BEIR judges the ranking, not the answer.
    by_mode = run_modes(index, questions, modes, settings.with_(abstain=False), 100, beir_run, show_progress)
    modes_out = {}
    for mode, mode_runs in by_mode.items():
        modes_out[mode] = {
            "ndcg@10": mean(ndcg_at_k(r.top_docs, relevant[r.id], 10) for r in mode_runs),
            "recall@10": mean(recall_at_k(r.top_docs, relevant[r.id], 10) for r in mode_runs),
            "recall@100": mean(recall_at_k(r.top_docs, relevant[r.id], 100) for r in mode_runs),
            "mrr@10": mean(mrr_at_k(r.top_docs, relevant[r.id], 10) for r in mode_runs),
            "index_s": index_seconds,
            **latency([r.seconds for r in mode_runs]),
        }
    runs = [run for mode_runs in by_mode.values() for run in mode_runs]
    return Evaluation(
        dataset=str(folder),
        docs=str(docs),
        questions=questions,
        modes=modes_out,
        runs=runs,
        settings={**settings.to_dict(), "index_path": str(index.path), "store": settings.store},
        versions=index.manifest.get("versions", {}),
    )
