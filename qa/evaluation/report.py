"""Rendering evaluation results: a terminal table, a Markdown report, a hit@k plot."""

from __future__ import annotations

from pathlib import Path

from qa.evaluation.evaluate import Evaluation

# Columns shown in the table, in order; metrics not measured (BEIR has no abstain) are left out.
COLUMNS = (
    "hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "doc_hit@1", "doc_hit@5", "answer@1",
    "span_shown", "span_precision",
    "abstain", "false_abstain", "cross_abstain", "ndcg@10", "recall@10", "recall@100",
    "passage_chars", "index_s", "query_ms_p50", "query_ms_p95",
)  # fmt: skip


def _cell(name: str, value: float) -> str:
    if name in ("passage_chars",):
        return f"{value:.0f}"
    if name.endswith("_s") or name.startswith("query_ms"):
        return f"{value:.1f}"
    return f"{value:.3f}"


def columns(modes: dict[str, dict[str, float]]) -> list[str]:
    present = set().union(*(m.keys() for m in modes.values())) if modes else set()
    return [c for c in COLUMNS if c in present]


def table(modes: dict[str, dict[str, float]], markdown: bool = False) -> str:
    """One row per mode, one column per metric."""
    cols = columns(modes)
    rows = [["mode", *cols]] + [[mode, *(_cell(c, m[c]) if c in m else "—" for c in cols)] for mode, m in modes.items()]
    if markdown:
        lines = ["| " + " | ".join(r) + " |" for r in rows]
        lines.insert(1, "|" + "|".join("---" for _ in rows[0]) + "|")
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    )


def failures(evaluation: Evaluation, n: int) -> list[tuple]:
    """The n worst (question, run) pairs: answerable questions missed deepest, then wrong abstentions."""
    questions = {q.id: q for q in evaluation.questions}
    bad = []
    for run in evaluation.runs:
        q = questions[run.id]
        if q.answerable and (run.rank_of_first_hit is None or run.rank_of_first_hit > 1):
            bad.append((run.rank_of_first_hit or 99, q, run))
        elif not q.answerable and not run.abstained:
            bad.append((50, q, run))
    bad.sort(key=lambda t: -t[0])
    return [(q, run) for _, q, run in bad[:n]]


def markdown_report(evaluation: Evaluation, n_failures: int = 10) -> str:
    lines = [
        f"# Evaluation: {evaluation.dataset}",
        "",
        f"{len(evaluation.questions)} questions ({sum(q.answerable for q in evaluation.questions)} answerable) "
        f"over `{evaluation.docs}`; settings: model `{evaluation.settings.get('index', {}).get('model')}`, "
        f"passage_tokens {evaluation.settings.get('index', {}).get('passage_tokens')}.",
        "",
        table(evaluation.modes, markdown=True),
    ]
    mode = evaluation.settings.get("mode")
    curve = evaluation.curve(mode) if mode in evaluation.modes else []
    if curve:
        lines += ["", f"## Not in the documents: the trade-off ({mode})", "",
                  "| threshold | false_abstain | abstain |", "|---|---|---|"]  # fmt: skip
        lines += [f"| {p['threshold']:.3f} | {p['false_abstain']:.3f} | {p['abstain']:.3f} |" for p in curve]
    worst = failures(evaluation, n_failures) if n_failures else []
    if worst:
        lines += ["", f"## The {len(worst)} worst questions", ""]
        for q, run in worst:
            found = f"first hit at rank {run.rank_of_first_hit}" if run.rank_of_first_hit else "no hit in the top 10"
            if not q.answerable:
                found = "unanswerable, but the product answered"
            lines += [
                f"- **{q.id}** ({run.mode}) {q.question}",
                f"  - expected: {', '.join(q.answers) or '(no answer)'} in `{q.doc}`; {found}",
                f"  - answered: “{run.answer}” from `{run.top_docs[0] if run.top_docs else '-'}`",
            ]
    return "\n".join(lines) + "\n"


def plot(evaluation: Evaluation, path: str | Path) -> None:
    """hit@k against k, one line per mode."""
    import matplotlib

    matplotlib.use("Agg")  # no display here or on CI
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for mode, metrics in evaluation.modes.items():
        ks = sorted(int(name.split("@")[1]) for name in metrics if name.startswith("hit@"))
        ax.plot(ks, [metrics[f"hit@{k}"] for k in ks], marker="o", label=mode)
    ax.set_xlabel("k (passages returned)")
    ax.set_ylabel("hit@k")
    ax.set_ylim(0, 1.02)
    ax.set_title(Path(evaluation.dataset).parent.name or evaluation.dataset)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
