"""Train the reader (qa.answering.reader) from ../shared/train and write it into the package.

    .venv/bin/python benchmarks/train_reader.py            # about an hour on 2 cores; resumes if killed
    .venv/bin/python benchmarks/train_reader.py --smoke    # a few steps on 50 questions, into build/
    .venv/bin/python benchmarks/train_reader.py --work COPY --cooldown 2400   # a finished reader mid-run
    .venv/bin/python benchmarks/train_reader.py --worded --init qa/answering/reader.safetensors --work W
        # a second stage on questions worded like people's (qa.training.pairs)

The recipe (which pairs, which negatives) is qa.training.recipe's docstring; the log of loss and held-out
figures per checkpoint is WORK/log.jsonl; rerunning after a kill resumes from WORK/checkpoint.pt.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qa.answering.reader import LAYERS, MAX_TOKENS
from qa.training.pairs import RECIPE, WORDED_RECIPE
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
    parser.add_argument("--init", type=Path, help="shipped weights to start from (default: the base model)")
    parser.add_argument("--max-tokens", type=int, default=MAX_TOKENS, help="word pieces per candidate")
    parser.add_argument("--layers", type=int, default=LAYERS, help="transformer layers of the base to keep")
    parser.add_argument("--lr", type=float, default=6e-5, help="peak learning rate of the layers")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--held", type=int, default=3000, help="held-out pairs scored at each checkpoint")
    parser.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints")
    parser.add_argument("--threads", type=int, help="torch threads (default: all cores)")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda on a GPU machine (same code, seed and pairs)")
    parser.add_argument("--base", help="the base model's folder, where the bundled package is not installed")
    parser.add_argument(
        "--cooldown",
        type=int,
        help="from WORK's checkpoint, take the learning rate to zero over this many steps and stop",
    )
    parser.add_argument(
        "--worded", action="store_true", help="train on questions worded like people's (WORDED_RECIPE's counts)"
    )
    parser.add_argument(
        "--bf16", action="store_true", help="forward pass in bfloat16 autocast (weights stay float32; ~1.5x faster)"
    )
    args = parser.parse_args()
    if args.export:
        print(json.dumps(export_checkpoint(args.work, args.out), indent=2))
        return
    chosen = WORDED_RECIPE if args.worded else RECIPE
    recipe = {k: (None if v is None else max(1, int(v * args.scale))) for k, v in chosen.items()}
    if args.smoke:
        recipe = {"squad11-train.jsonl.gz": 50}
        args.out = args.work = ROOT / "build" / "smoke"
    card = train(
        args.data, args.out, args.work, recipe=recipe, seed=args.seed, lr=args.lr, max_tokens=args.max_tokens,
        layers=args.layers, epochs=args.epochs, held_limit=args.held, checkpoint_every=args.checkpoint_every,
        threads=args.threads, init=args.init, device=args.device, base_model=args.base, cooldown=args.cooldown,
        worded=args.worded, bf16=args.bf16,
    )  # fmt: skip
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
