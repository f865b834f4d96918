"""Average the weights of several checkpoints of one reader training run, and score them held out.

    .venv/bin/python benchmarks/average_readers.py build/reader-v2/snapshots/step{3200,4800} --out build/avg
    .venv/bin/python benchmarks/average_readers.py DIR [DIR ...] --held-only   # score each, average none

Each DIR holds shipped weights (reader.safetensors and reader.json, as `train_reader.py --export` writes
them). Checkpoints of one run lie along one path, and their mean usually generalises better than any
one of them (Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima"): the average costs no
time when answering. The held-out pairs are those the training run scores at each checkpoint (same
recipe, seed and count; built once, cached in build/held-pairs.pkl), so the figures compare with its log.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HELD_CACHE = ROOT / "build" / "held-pairs.pkl"


def held_pairs(data: Path, seed: int, count: int):
    from qa.training.pairs import RECIPE, build_examples, held_questions

    key = (str(data), seed, count)
    if HELD_CACHE.is_file():
        cached = pickle.loads(HELD_CACHE.read_bytes())
        if cached["key"] == key:
            return cached["held"]
    _, held = build_examples(data, RECIPE, seed)
    held = held_questions(held, count, seed)
    HELD_CACHE.parent.mkdir(parents=True, exist_ok=True)
    HELD_CACHE.write_bytes(pickle.dumps({"key": key, "held": held}))
    return held


def load_model(state: dict, layers: int):
    from qa.answering.reader import build_model
    from qa.embedding import resolve_model
    from qa.settings import BUNDLED_MODEL

    model = build_model(resolve_model(BUNDLED_MODEL)[0], layers)
    model.load_state_dict(state, strict=False)
    return model.float()


def main() -> int:
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    from qa.answering.reader import dequantize
    from qa.embedding import resolve_model
    from qa.settings import BUNDLED_MODEL
    from qa.training.held_out import evaluate
    from qa.training.recipe import write_reader

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, help="write the average here (reader.safetensors, reader.json)")
    parser.add_argument("--held-only", action="store_true", help="score each DIR held out; average nothing")
    parser.add_argument("--held", type=int, default=3000)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "train")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cards = [json.loads((d / "reader.json").read_text(encoding="utf-8")) for d in args.dirs]
    states = [dequantize(load_file(str(d / "reader.safetensors"))) for d in args.dirs]
    if len({(c["layers"], c["max_tokens"], c.get("seed")) for c in cards}) != 1:
        parser.error("these readers differ in layers, word pieces or seed: average checkpoints of one run")
    layers, max_tokens, seed = cards[0]["layers"], cards[0]["max_tokens"], cards[0]["seed"]
    tokenizer = AutoTokenizer.from_pretrained(resolve_model(BUNDLED_MODEL)[0])
    held = held_pairs(args.data, seed, args.held)
    if args.held_only:
        for d, state in zip(args.dirs, states, strict=True):
            print(d, json.dumps(evaluate(load_model(state, layers), tokenizer, held, max_tokens)), flush=True)
        return 0
    mean = {name: sum(s[name] for s in states) / len(states) for name in states[0]}
    model = load_model(mean, layers)
    figures = evaluate(model, tokenizer, held, max_tokens)
    steps = [c.get("steps") for c in cards]
    print("average of steps", steps, json.dumps(figures), flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        card = {k: v for k, v in cards[-1].items() if not k.startswith("held_out")}
        card.update(name=f"{cards[-1]['name'].rsplit('-step', 1)[0]}-avg{'-'.join(str(s) for s in steps)}",
                    averaged=[c["name"] for c in cards], **figures)  # fmt: skip
        write_reader(model, args.out, card)
        print("written to", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
