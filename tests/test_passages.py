"""Passages: exact offsets, never over the model's window, never crossing a document."""

from __future__ import annotations

from qa.documents import read_folder
from qa.passages import split_passages
from qa.records import Document
from tests.conftest import SEEDS


def test_seed_passages_have_exact_offsets_and_fit_the_window(embedder):
    for doc in read_folder(SEEDS):
        passages = split_passages(doc, embedder.count_tokens, target_tokens=128)
        assert passages, doc.id
        sizes = embedder.count_tokens([p.text for p in passages])
        for p, size in zip(passages, sizes, strict=True):
            assert p.doc_id == doc.id
            assert doc.text[p.start : p.end] == p.text
            assert size + 2 <= embedder.window  # [CLS] and [SEP] take two of the 256 places
            assert size <= 128
            assert p.sentences[0][0] == p.start and p.sentences[-1][1] == p.end
            assert p.paragraph == doc.text[: p.start].count("\n\n") + 1
        # Every sentence of the document is in some passage: nothing is dropped.
        covered = {s for p in passages for s in p.sentences}
        assert min(a for a, _ in covered) == 0 and max(b for _, b in covered) == len(doc.text)


def test_a_sentence_longer_than_the_window_is_cut_not_truncated(embedder):
    text = "Intro sentence here. " + " ".join(f"word{i}" for i in range(600)) + ". Last sentence."
    doc = Document(id="long.txt", title="long", text=text, sha256="x")
    passages = split_passages(doc, embedder.count_tokens, target_tokens=embedder.max_text_tokens)
    sizes = embedder.count_tokens([p.text for p in passages])
    assert max(sizes) <= embedder.max_text_tokens
    assert len(passages) >= 4  # 600 words of ~3 word pieces each over 254 places
    joined_words = " ".join(p.text for p in passages).split()
    assert "word0" in joined_words and "word599." in joined_words


def test_consecutive_passages_overlap_by_one_sentence(embedder):
    text = " ".join(f"Sentence number {i} talks about topic {i} at some length." for i in range(40))
    doc = Document(id="d.txt", title="d", text=text, sha256="x")
    passages = split_passages(doc, embedder.count_tokens, target_tokens=64, overlap_sentences=1)
    assert len(passages) > 3
    for before, after in zip(passages, passages[1:], strict=False):
        assert after.sentences[0] == before.sentences[-1]
