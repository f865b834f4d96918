"""Passages: exact offsets, never over the model's window, never crossing a document."""

from __future__ import annotations

from qa.readers.plain import read_plain
from qa.records import Document
from qa.text.documents import read_folder
from qa.text.passages import context_of, indexed_text, split_passages
from tests.conftest import SEEDS


def test_seed_passages_have_exact_offsets_and_fit_the_window(embedder):
    for doc in read_folder(SEEDS):
        passages = split_passages(doc, embedder.count_tokens, target_tokens=128, max_tokens=200)
        assert passages, doc.id
        sizes = embedder.count_tokens([p.text for p in passages])
        for p, size in zip(passages, sizes, strict=True):
            assert p.doc_id == doc.id
            assert doc.text[p.start : p.end] == p.text
            assert size + 2 <= embedder.window  # [CLS] and [SEP] take two of the 256 places
            assert size <= 200  # over the target only when a fragment joined its neighbour
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


def test_a_short_fragment_joins_its_neighbour_instead_of_standing_alone(embedder):
    # A signature line after a full passage: alone it would win questions on being short.
    body = " ".join(f"The unit reported finding number {i} about regional crime work." for i in range(12))
    text = f"{body}\n\nJane Doe, Commissioner"
    doc = Document(id="d.txt", title="d", text=text, sha256="x")
    passages = split_passages(doc, embedder.count_tokens, target_tokens=64, max_tokens=120)
    sizes = embedder.count_tokens([p.text for p in passages])
    assert passages[-1].text.endswith("Jane Doe, Commissioner")
    assert min(sizes) >= 64 // 4  # no fragment under a quarter of the target
    assert max(sizes) <= 120


def test_headings_become_sections_and_open_passages(embedder):
    intro = " ".join(f"Opening remark {i} on the inspection and its findings." for i in range(6))
    later = " ".join(f"Funding point {i} about the budget of the units." for i in range(6))
    text = f"Annual Report\n\n{intro}\n\nFunding and budgets\n\n{later}"
    extract = read_plain(text.encode(), "d.txt")
    doc = Document(id="d.txt", title="Annual Report", text=extract.text, sha256="x", headings=extract.headings)
    # Headings by their shape (plain text marks none): short paragraphs that do not end like sentences.
    assert [h for _, _, h in doc.headings] == ["Annual Report", "Funding and budgets"]
    passages = split_passages(doc, embedder.count_tokens, target_tokens=128, max_tokens=200)
    funding = [p for p in passages if "Funding point 0" in p.text][0]
    assert funding.text.startswith("Funding and budgets") and funding.section == "Funding and budgets"
    # What is indexed carries the title and the section; the passage's own text and offsets do not change.
    assert indexed_text(funding, doc.title) == f"Annual Report > Funding and budgets\n\n{funding.text}"
    assert doc.text[funding.start : funding.end] == funding.text
    assert context_of("Annual Report", "Annual Report") == "Annual Report"
