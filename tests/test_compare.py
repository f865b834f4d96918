"""What each document says: one answer per document, which do not say, a shared sentence shown once."""

from __future__ import annotations

import re
import shutil

import pytest

from qa.app import QAApp
from qa.build import build_index
from qa.cli import main
from qa.compare import asks_across, by_document
from qa.index import Index
from qa.records import Answer, Hit, Passage
from qa.render import reply_markdown
from qa.settings import Settings
from tests.conftest import SEEDS

CHESHIRE = "002_59c356561a19db13.txt"
WILTSHIRE = "003_666e703430145ad0.txt"


@pytest.mark.parametrize(
    "question, across",
    [
        ("What did each commissioner say about funding?", True),
        ("Compare the responses on collaboration", True),
        ("What do all the commissioners want from the Home Office?", True),
        ("How does every region fund its ROCU?", True),
        ("Who is the PCC for Cheshire?", False),
        ("What rating did the North West ROCU receive?", False),
    ],
)
def test_questions_across_documents_are_recognised(question, across):
    assert asks_across(question) is across


def test_each_document_answers_for_itself(seeds_index):
    results = by_document("What did each commissioner say about funding?", seeds_index)
    covered = [r.doc_id for r in results] + [d for r in results for d, _ in r.also_in]
    assert sorted(covered) == sorted(p.name for p in SEEDS.iterdir())  # every document, once
    by_id = {r.doc_id: r for r in results}
    assert "funding" in by_id[WILTSHIRE].hit.answer_text and by_id[WILTSHIRE].answers
    assert "funding" in by_id[CHESHIRE].hit.answer_text
    # Those that answer come first, the most confident first.
    flags = [r.answers for r in results]
    assert flags == sorted(flags, reverse=True)
    confidences = [r.confidence for r in results if r.answers]
    assert confidences == sorted(confidences, reverse=True)


def test_a_sentence_quoted_by_several_documents_is_shown_once_with_every_source(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    shared = "The inspection recommended that every unit appoint a dedicated lead for cyber crime by 2024."
    for name, place in [("north.txt", "the North"), ("south.txt", "the South")]:
        (docs / name).write_text(f"Response from {place}\n\nWe accept the findings. {shared} We will report back.")
    (docs / "east.txt").write_text("Response from the East\n\nThe harbour festival drew many visitors in August.")
    build_index(docs, "r", Settings(index_root=str(tmp_path / "ix")), embedder=embedder)
    results = by_document("What did each response say about a lead for cyber crime?", Index.load(tmp_path / "ix" / "r"))
    answering = [r for r in results if r.answers]
    assert len(answering) == 1 and shared in answering[0].hit.answer_text
    assert {answering[0].doc_id, *(d for d, _ in answering[0].also_in)} == {"north.txt", "south.txt"}
    assert [r.doc_id for r in results if not r.answers] == ["east.txt"]


@pytest.fixture()
def app(seeds_root, tmp_path):
    shutil.copytree(seeds_root / "seeds", tmp_path / "index" / "seeds")
    settings = Settings(index_root=str(tmp_path / "index"), uploads_dir=str(tmp_path / "uploads"))
    return QAApp(Index.load(tmp_path / "index" / "seeds"), settings)


def test_the_chat_compares_when_asked_and_says_when_a_filter_is_on(app):
    history, _, citations, answer, _ = app.respond("What did each commissioner say about funding?", [], [])
    reply = history[-1]["content"]
    assert reply.startswith("**By document:**") and "of 5 documents answer" in reply
    assert len(citations["choices"]) == len(answer.hits) >= 3  # a citation per answering document
    assert "<strong>" not in reply.split("\n")[0]
    # One card per answering document, titled once: its source line says only where.
    cards = [line for line in reply.split("\n") if re.match(r"\d+\. \*\*", line)]
    sources = [line for line in reply.split("\n") if line.startswith("   > — ")]
    assert len(cards) == len(sources) == len(answer.hits) and not any("RESPONSE OF" in s for s in sources)
    # The toggle does the same for any question.
    history, *_ = app.respond("Who is the PCC for Cheshire?", [], [], each=True)
    assert history[-1]["content"].startswith("**By document:**")
    # A filter is said, with what was searched.
    history, *_ = app.respond("What rating did the North West ROCU receive?", [], [], 5, [CHESHIRE])
    assert history[-1]["content"].startswith("*Searched 1 of 5 documents: RESPONSE OF DAVID KEANE")


def test_the_api_takes_mode_documents_and_by_document(app):
    data = app.ask_api("What rating did the North West ROCU receive?", 3, "keyword", [CHESHIRE])
    assert {h["doc_id"] for h in data["hits"]} == {CHESHIRE}
    data = app.ask_api("What did each commissioner say about funding?", by_document=True)
    assert len(data["documents_answers"]) >= 3 and data["documents_answers"][0]["answers"]
    listed = app.documents_api()
    assert len(listed) == 5 and {"id", "title", "passages", "collection"} <= set(listed[0])


def test_qa_ask_by_document_in_the_terminal(seeds_root, capsys):
    assert (
        main(["--index-root", str(seeds_root), "ask", "--by-document", "What did each commissioner say about funding?"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("By document: ") and "of 5 answer" in out.split("\n")[0]
    assert "RESPONSE OF DAVID KEANE" in out


def test_a_sentence_that_opens_with_a_quote_is_not_quoted_twice():
    text = "“We know organised crime has no boundaries,” she said."
    p = Passage("d.txt", 0, len(text), text, 1, ((0, len(text)),))
    hit = Hit(p, 0.9, "D", rank=1, answer_start=0, answer_end=len(text), span_start=0, span_end=len(text))
    reply = reply_markdown(Answer("q", [hit], confidence=0.9))
    assert reply.startswith("> <strong>“We know") and "““" not in reply
