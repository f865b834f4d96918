"""The reader's learning curve from a training log: held-out figures against hours of training.

    .venv/bin/python benchmarks/reader_curve.py [build/reader-v2/log.jsonl] [--before-hours 1.1]

Prints a Markdown table, one column per checkpoint (every `--every`-th, and the last): the hours of
training behind it (`--before-hours` adds the time of the run it started from), the held-out AUC and
accuracy@1, and the AUC against each made kind of negative. When more steps stop raising these, more
training stops paying.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def curve(log: Path, before_hours: float = 0.0, every: int = 1) -> list[dict]:
    points = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    points = [p for p in points if p.get("event") == "checkpoint"]
    chosen = [p for i, p in enumerate(points) if i % every == 0 or i == len(points) - 1]
    return [{"hours": before_hours + p.get("elapsed_s", 0) / 3600, **p} for p in chosen]


def markdown(points: list[dict]) -> str:
    keys = ["held_out_auc", "held_out_accuracy_at_1"]
    keys += sorted({k for p in points for k in p if k.startswith("held_out_auc_")})
    keys += [k for k in ("held_out_worded_auc",) if any(k in p for p in points)]
    lines = [
        "| step | " + " | ".join(f"{p['step']:,}" for p in points) + " |",
        "|---|" + "---|" * len(points),
        "| hours of training | " + " | ".join(f"{p['hours']:.1f}" for p in points) + " |",
    ]
    for k in keys:
        label = k.replace("held_out_", "").replace("auc_", "AUC against ").replace("_", " ")
        label = label.replace("worded auc", "AUC, questions worded apart")
        lines.append(f"| {label} | " + " | ".join(f"{p[k]:.3f}" if k in p else "" for p in points) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("log", nargs="?", type=Path, default=ROOT / "build" / "reader-v2" / "log.jsonl")
    parser.add_argument("--before-hours", type=float, default=0.0, help="hours behind the run's starting weights")
    parser.add_argument("--every", type=int, default=1, help="show every n-th checkpoint")
    args = parser.parse_args()
    print(markdown(curve(args.log, args.before_hours, args.every)))


if __name__ == "__main__":
    main()
