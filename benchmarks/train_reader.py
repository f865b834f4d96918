"""Train the reader (qa.answering.reader) from ../shared/train and write it into the package.

    .venv/bin/python benchmarks/train_reader.py            # about an hour on 2 cores; resumes if killed
    .venv/bin/python benchmarks/train_reader.py --smoke    # a few steps on 50 questions, into build/

The recipe (which pairs, which negatives) is qa.training.recipe's docstring; the log of loss and held-out
figures per checkpoint is WORK/log.jsonl; rerunning after a kill resumes from WORK/checkpoint.pt.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qa.training.pairs import RECIPE
from qa.training.recipe import export_checkpoint, train

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "train")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "qa" / "answering", help="where reader.safetensors and reader.json go"
    )
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "reader", help="checkpoints and the log")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--scale", type=float, default=1.0, help="share of each file's question count to take")
    parser.add_argument("--smoke", action="store_true", help="50 questions, a few steps, into build/smoke")
    parser.add_argument("--export", action="store_true", help="only ship WORK's last checkpoint to OUT")
    args = parser.parse_args()
    if args.export:
        print(json.dumps(export_checkpoint(args.work, args.out), indent=2))
        return
    recipe = {k: (None if v is None else max(1, int(v * args.scale))) for k, v in RECIPE.items()}
    if args.smoke:
        recipe = {"squad11-train.jsonl.gz": 50}
        args.out = args.work = ROOT / "build" / "smoke"
    card = train(args.data, args.out, args.work, recipe=recipe, seed=args.seed)
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
