"""Training the reader (qa.answering.reader) from the pairs of `qa.training.pairs`, reproducibly.

One seed fixes the questions taken, the negatives made and the order of the batches; a checkpoint
every few hundred steps holds the model, the optimiser and the step, so a killed run resumes where it
was; a log (loss every 50 steps, held-out figures at each checkpoint) tells how it went.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from qa.answering.reader import LAYERS, MAX_TOKENS, build_model, quantize, trainable_state
from qa.training.batching import batches, collate
from qa.training.held_out import evaluate
from qa.training.pairs import RECIPE, build_examples, held_questions

HEAD_LR = 5e-4
# The span's two cross-entropies start near log(64) each against the answer's 0.5: weighted down so
# that they do not drown the answer logit's gradient.
SPAN_WEIGHT = 0.25


def loss_of(model, encoded, labels, starts, ends, allowed):
    import torch.nn.functional as F

    device = next(model.parameters()).device
    encoded, labels, starts, ends, allowed = (x.to(device) for x in (encoded, labels, starts, ends, allowed))
    logit, start, end = (x.float() for x in model(**encoded))  # the losses in float32 under bf16 autocast
    loss = F.binary_cross_entropy_with_logits(logit, labels)
    has = starts >= 0
    if has.any():
        mask = ~allowed[has]
        s = start[has].masked_fill(mask, -1e4)
        e = end[has].masked_fill(mask, -1e4)
        loss = loss + SPAN_WEIGHT * (F.cross_entropy(s, starts[has]) + F.cross_entropy(e, ends[has]))
    return loss, logit.detach()


def train(
    data: Path,
    out: Path,
    work: Path,
    recipe: dict = RECIPE,
    seed: int = 13,
    batch_size: int = 32,
    lr: float = 6e-5,
    max_tokens: int = MAX_TOKENS,
    layers: int = LAYERS,
    checkpoint_every: int = 300,
    held_limit: int = 1200,
    threads: int | None = None,
    progress: bool = True,
    epochs: int = 1,
    log_every: int = 50,
    init: Path | None = None,
    device: str = "cpu",
    base_model: str | None = None,
    cooldown: int | None = None,
    worded: bool = False,
    bf16: bool = False,
) -> dict:
    """Train `epochs` passes over the recipe's pairs, resuming from `work`/checkpoint.pt; write the shipped
    weights to `out` (reader.safetensors, reader.json) and a log of loss and held-out figures to
    `work`/log.jsonl. `init`: shipped weights (reader.safetensors) to start from instead of the base
    model, so a longer run builds on an earlier one. `device`: where to train ("cuda" on a GPU machine:
    the same code, seed and pairs); `base_model`: the base's folder where the bundled package is not
    installed (a GPU machine given a copy). `cooldown`: from the checkpoint it resumes, take the learning
    rate linearly to zero over this many steps and stop there (a run's own schedule reaches zero only at
    the end of its plan; a copy of its work folder cooled down gives a finished reader mid-run, as
    warmup-stable-decay schedules do). `worded`: only questions worded like people's (qa.training.pairs).
    `bf16`: the forward pass in bfloat16 autocast, the weights and the optimizer kept in float32 (about 1.5x
    faster on a CPU with AVX-512 BF16; a checkpoint resumes in either precision). Returns the final card."""
    import torch
    from tqdm import tqdm
    from transformers import AutoTokenizer

    from qa.embedding import resolve_model
    from qa.settings import BUNDLED_MODEL

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    base, base_sha = resolve_model(base_model or BUNDLED_MODEL)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = build_model(base, layers)
    if init is not None:
        import shutil

        from safetensors.torch import load_file

        from qa.answering.reader import dequantize

        # Kept beside the checkpoints: a restart from scratch starts from the same weights even after
        # the shipped reader has been replaced.
        start_from = work / "init.safetensors"
        if not start_from.is_file():
            shutil.copyfile(init, start_from)
        model.load_state_dict(dequantize(load_file(str(start_from))), strict=False)
    for p in model.encoder.embeddings.parameters():
        p.requires_grad = False
    model.float().to(device)  # a base carried as float16 trains in float32
    started = time.time()
    train_set, held = build_examples(data, recipe, seed, worded)
    if worded:  # the full recipe's held-out pairs, so that the logged figures compare with its runs'
        _, held = build_examples(data, RECIPE, seed)
    held = held_questions(held, held_limit, seed)
    plan = [b for epoch in range(epochs) for b in batches(train_set, batch_size, seed + epoch)]
    params = [p for p in model.parameters() if p.requires_grad]
    heads = [p for name, p in model.named_parameters() if not name.startswith("encoder.")]
    body = [p for name, p in model.named_parameters() if name.startswith("encoder.") and p.requires_grad]
    # The heads start from nothing: they learn at a higher rate than the pretrained layers.
    optimizer = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": heads, "lr": HEAD_LR}], weight_decay=0.01)
    warmup = max(1, len(plan) // 20)

    def multiplier(s: int) -> float:  # warmup, then linearly down to zero at the end of the plan
        return min(1.0, (s + 1) / warmup) * max(0.0, (len(plan) - s) / max(1, len(plan) - warmup))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, multiplier)
    checkpoint, log_path = work / "checkpoint.pt", work / "log.jsonl"
    step, elapsed_before, cool = 0, 0.0, None
    if checkpoint.is_file():
        saved = torch.load(checkpoint, weights_only=False, map_location="cpu")
        model.load_state_dict(saved["model"], strict=False)
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        step, elapsed_before = saved["step"], saved["elapsed"]
        cool = saved.get("cooldown")  # (from step, to step) of a cooldown begun before
        torch.set_rng_state(saved["rng"].cpu())
    starts_cooling = bool(cooldown) and cool is None
    if starts_cooling:
        cool = (step, min(len(plan), step + cooldown))
    end = cool[1] if cool else len(plan)
    if cool:
        peak = multiplier(cool[0])
        cooled = lambda s: peak * max(0.0, (cool[1] - s) / (cool[1] - cool[0]))  # noqa: E731
        schedule.lr_lambdas = [cooled] * len(optimizer.param_groups)
    model.train()

    def log(record: dict) -> None:
        with log_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")

    if step == 0:
        log({"event": "start", "pairs": len(train_set), "held_out_pairs": len(held), "steps": len(plan),
             "positives": int(sum(e.label for e in train_set)), "seed": seed, "max_tokens": max_tokens, "layers": layers,
             "batch_size": batch_size, "lr": lr, "init": _name_of(init), "worded": worded, "recipe": {k: v for k, v in recipe.items()}})  # fmt: skip
    if step == 0:  # where the curve starts: the base, or the weights of `init`
        log({"event": "checkpoint", "step": 0, "elapsed_s": 0, **evaluate(model, tokenizer, held, max_tokens)})
    if starts_cooling:
        log({"event": "cooldown", "from_step": cool[0], "to_step": cool[1], "lr": lr * multiplier(cool[0])})
    log({"event": "run", "step": step, "bf16": bf16, "threads": torch.get_num_threads(), "device": device})
    bar = tqdm(total=end, initial=step, disable=not progress, desc="training the reader", unit="batch")
    run_start, recent = time.time(), []
    while step < end:
        with torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            loss, _ = loss_of(model, *collate(tokenizer, plan[step], max_tokens))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        step += 1
        recent.append(float(loss.detach()))
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(recent[-50:]):.3f}")
        if step % log_every == 0:
            log({"event": "step", "step": step, "loss": round(float(np.mean(recent[-log_every:])), 4)})
        if step % checkpoint_every == 0 or step == end:
            elapsed = elapsed_before + time.time() - run_start
            figures = evaluate(model, tokenizer, held, max_tokens)
            log({"event": "checkpoint", "step": step, "loss": round(float(np.mean(recent)), 4),
                 "lr": schedule.get_last_lr()[0], "elapsed_s": round(elapsed), **figures})  # fmt: skip
            recent = []
            tmp = checkpoint.with_suffix(".tmp")
            torch.save({"model": trainable_state(model), "optimizer": optimizer.state_dict(),
                        "schedule": schedule.state_dict(), "step": step, "elapsed": elapsed,
                        "rng": torch.get_rng_state(), "cooldown": cool}, tmp)  # fmt: skip
            tmp.replace(checkpoint)  # a kill mid-save leaves the previous checkpoint whole
    bar.close()
    elapsed = elapsed_before + time.time() - run_start
    figures = evaluate(model, tokenizer, held, max_tokens)
    card = write_reader(model, out, {
        "name": f"minilm-{layers}l-reader-s{seed}"
        + ("-worded" if worded else "")
        + (f"-step{end}-cooled{cool[0]}" if cool else ""),
        "base": BUNDLED_MODEL,
        "base_sha256": base_sha,
        "max_tokens": max_tokens,
        "layers": layers,
        "seed": seed,
        "init": _name_of(init),
        "pairs": len(train_set),
        "steps": end,
        "of_steps": len(plan),
        "cooldown": cool,
        "train_seconds": round(elapsed),
        "data_seconds": round(run_start - started),
        "recipe": recipe,
        "worded": worded,
        **figures,
    })  # fmt: skip
    log({"event": "done", **card})
    return card


def _name_of(weights: Path | None) -> str | None:
    """The name on the card beside shipped weights (what a run started from), else their path."""
    if weights is None:
        return None
    card = Path(weights).with_suffix(".json")
    return json.loads(card.read_text(encoding="utf-8")).get("name", str(weights)) if card.is_file() else str(weights)


def write_reader(model, out: Path, card: dict) -> dict:
    """The shipped files: what training changed as int8 (qa.answering.reader.quantize), and the card."""
    from safetensors.torch import save_file

    save_file(quantize(trainable_state(model.cpu())), str(out / "reader.safetensors"))
    (out / "reader.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def export_checkpoint(work: Path, out: Path) -> dict:
    """The weights of the last checkpoint in `work`, shipped as training would at its end (to ship a
    reader while a long run goes on); the card takes the run's settings and that checkpoint's figures
    from the log."""
    import torch

    from qa.embedding import resolve_model
    from qa.settings import BUNDLED_MODEL

    log = [json.loads(line) for line in (work / "log.jsonl").read_text(encoding="utf-8").splitlines() if line]
    start = next(r for r in reversed(log) if r["event"] == "start")
    saved = torch.load(work / "checkpoint.pt", weights_only=False, map_location="cpu")
    figures = next(r for r in reversed(log) if r["event"] == "checkpoint" and r["step"] == saved["step"])
    layers, max_tokens = start["layers"], start["max_tokens"]
    base, base_sha = resolve_model(BUNDLED_MODEL)
    model = build_model(base, layers)
    model.load_state_dict(saved["model"], strict=False)
    card = {
        "name": f"minilm-{layers}l-reader-s{start['seed']}"
        + ("-worded" if start.get("worded") else "")
        + f"-step{saved['step']}"
        + (f"-cooled{saved['cooldown'][0]}" if saved.get("cooldown") else ""),
        "base": BUNDLED_MODEL,
        "base_sha256": base_sha,
        "max_tokens": max_tokens,
        "layers": layers,
        "seed": start["seed"],
        "init": start.get("init"),
        "pairs": start["pairs"],
        "steps": saved["step"],
        "of_steps": start["steps"],
        "cooldown": saved.get("cooldown"),
        "train_seconds": round(saved["elapsed"]),
        "recipe": start["recipe"],
        "worded": start.get("worded", False),
        **{k: v for k, v in figures.items() if k.startswith("held_out")},
    }
    out.mkdir(parents=True, exist_ok=True)
    return write_reader(model, out, card)
