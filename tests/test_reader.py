"""The reader (qa.answering.reader): trained here, shipped small, read once, the same from many threads."""

from __future__ import annotations

import gzip
import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from qa.answering.answers import answer
from qa.answering.reader import WEIGHTS, dequantize, load_reader, quantize
from qa.answering.verdict import load_reader_scorers, question_kind
from qa.settings import Settings
from tests.conftest import ROOT

TRAIN = ROOT.parent / "shared" / "train"


def test_training_a_few_steps_lowers_the_loss_and_ships_int8_weights(tmp_path):
    """The smoke run: 40 questions of SQuAD 1.1 train, two passes of 16-pair steps in bfloat16 autocast
    (the faster path on a CPU; float32 differs only in autocast being off); the loss falls."""
    from qa.training.recipe import train

    rows = []
    with gzip.open(TRAIN / "squad11-train.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rows.append(line)
            if len(rows) == 80:
                break
    data = tmp_path / "data"
    data.mkdir()
    with gzip.open(data / "small.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(rows)
    out, work = tmp_path / "out", tmp_path / "work"
    card = train(data, out, work, recipe={"small.jsonl.gz": 40}, batch_size=16, lr=2e-4,
                 checkpoint_every=10**6, held_limit=40, progress=False, epochs=2, log_every=1, bf16=True)  # fmt: skip
    log = [json.loads(line) for line in (work / "log.jsonl").read_text().splitlines()]
    checkpoints = [r for r in log if r["event"] == "checkpoint"]
    # Where the curve starts (step 0, the untrained heads), then one checkpoint: the last step.
    assert card["pairs"] >= 120 and [r["step"] for r in checkpoints] == [0, card["steps"]]
    assert all("held_out_auc" in r for r in checkpoints)
    first = log[0]
    assert first["event"] == "start" and first["recipe"] == {"small.jsonl.gz": 40}
    assert [r["bf16"] for r in log if r["event"] == "run"] == [True]
    from safetensors.torch import load_file

    shipped = load_file(str(out / "reader.safetensors"))
    assert all(not k.startswith("encoder.embeddings.") for k in shipped)  # the base's, not shipped
    assert any(v.dtype.is_floating_point is False for v in shipped.values())  # int8 layers
    # The loss falls: the last steps' mean under the first steps'.
    steps = [r for r in log if r["event"] == "step"]
    assert steps and np.mean([r["loss"] for r in steps[-3:]]) < np.mean([r["loss"] for r in steps[:3]])


def test_the_shipped_reader_is_small_and_its_int8_weights_match_the_trained_ones():
    assert WEIGHTS.is_file() and WEIGHTS.stat().st_size < 15 * 1024 * 1024
    import torch

    rng = torch.Generator().manual_seed(0)
    state = {"encoder.encoder.layer.0.attention.self.query.weight": torch.randn(384, 384, generator=rng),
             "head.weight": torch.randn(3, 384, generator=rng)}  # fmt: skip
    back = dequantize(quantize(state))
    name = "encoder.encoder.layer.0.attention.self.query.weight"
    # int8 with a scale per row: at most half a step of that row's scale off
    step = state[name].abs().amax(dim=1, keepdim=True) / 127
    assert torch.all((back[name] - state[name]).abs() <= step / 2 + 1e-6)
    assert torch.allclose(back["head.weight"], state["head.weight"], atol=1e-2)


def test_the_reader_prefers_the_sentence_that_answers_and_marks_the_answer_in_it():
    reader = load_reader()
    assert reader is load_reader()  # read once per process
    question = "How many disruptions did the NWROCU carry out?"
    items = [
        ("The unit has carried out 5900 disruptions of organised crime groups.", "North West ROCU."),
        ("The Commissioner welcomed the report and thanked the inspectors.", "North West ROCU."),
        ("Cheshire is a county in the North West of England.", "North West ROCU."),
    ]
    reading = reader.read(question, items)
    assert int(np.argmax(reading.logits)) == 0
    a, b = reading.spans[0]
    assert "5900" in items[0][0][a:b] and b - a < len(items[0][0])


def test_reading_from_many_threads_gives_what_one_thread_gives():
    reader = load_reader()
    questions = ["Who welcomed the report?", "When was the report published?", "What is TITAN?", "How much?"]
    items = [("The report was published in March 2015 and welcomed by the PCC.", "Report."),
             ("TITAN is the North West regional organised crime unit.", "TITAN.")]  # fmt: skip
    alone = [reader.read(q, items) for q in questions]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda q: reader.read(q, items), questions * 3))
    for i, reading in enumerate(together):
        assert np.allclose(reading.logits, alone[i % 4].logits, atol=1e-4)
        assert reading.spans == alone[i % 4].spans


def test_answers_say_which_reader_made_them_and_the_reader_can_be_switched_off(seeds_index):
    read = answer("How many disruptions did the NWROCU carry out?", seeds_index, k=3)
    assert read.reader == load_reader().name and read.to_dict()["reader"] == read.reader
    plain = answer("How many disruptions did the NWROCU carry out?", seeds_index, k=3, settings=Settings(reader="none"))
    assert plain.reader == "" and plain.to_dict()["reader"] is None
    assert "5900" in read.text and "5900" in plain.text


def test_question_kinds_are_read_from_the_first_words():
    assert question_kind("When did the ROCU open?") == "when"
    assert question_kind("In what year was it founded?") == "when"
    assert question_kind("How many arrests were made?") == "how many"
    assert question_kind("Who is the PCC for Cheshire?") == "who"
    assert question_kind("Which force leads the unit?") == "which"
    assert question_kind("Tell me about TITAN") == "other"
    assert load_reader_scorers() is not None  # qa/answering/scorer.json carries the reader's fitted decisions
