"""What each document says: one answer per document, which do not say, a shared sentence shown once."""

from __future__ import annotations

import re
import shutil

import pytest

from qa.answering.compare import asks_across, by_document
from qa.app.chat import QAApp
from qa.app.render import reply_markdown
from qa.cli import main
from qa.indexing.build import build_index
from qa.records import Answer, Hit, Passage
from qa.settings import Settings
from qa.store.local.index import Index
from tests.conftest import SEEDS

CHESHIRE = "002_59c356561a19db13.txt"
WILTSHIRE = "003_666e703430145ad0.txt"


@pytest.mark.parametrize(
    "question, across",
    [
        ("What did each commissioner say about funding?", "each commissioner"),
        ("Compare the responses on collaboration", "Compare"),
        ("What do all the commissioners want from the Home Office?", "all the commissioners"),
        ("How does every region fund its ROCU?", "every region"),
        ("Who is the PCC for Cheshire?", ""),
        ("What rating did the North West ROCU receive?", ""),
        ("What does each PCC say about funding?", "each PCC"),  # an abbreviation, by its expansion
        ("What does each report say about training?", "each report"),  # a word for any document
        # "each" or "every" about something other than documents: one answer, not a comparison.
        ("How many disruptions does the unit carry out each year?", ""),
        ("Is every arrest reported to the board?", ""),
        ("What did each force contribute?", ""),  # no two titles say "force"
        # Two things related inside one answer, not every document's say.
        ("What did the 2015 report say was uneven between the units?", ""),
        ("Do both the forces fund the ACC post?", ""),
    ],
)
def test_only_questions_that_name_what_they_compare_ask_across_documents(question, across, seeds_index):
    """ "each X" compares documents when X is a word for documents, or one their titles share (the
    seeds: five responses by commissioners to reports on regional units)."""
    titles = [e["title"] for e in seeds_index.manifest["documents"].values()]
    assert asks_across(question, titles, seeds_index.abbreviations) == across


def test_each_document_answers_for_itself(seeds_index):
    results = by_document("What does each PCC say about funding?", seeds_index)
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


@pytest.mark.xfail(
    strict=True,
    reason="known weakness: worded 'each commissioner', the two responses that speak of funding come out just "
    "under the threshold (0.35 and 0.34 against 0.40 with the six-layer reader): each document's "
    "confidence comes from its own 2-8 candidates, the threshold from single answers over 8",
)
def test_the_same_comparison_worded_otherwise_finds_the_same_documents(seeds_index):
    results = by_document("What did each commissioner say about funding?", seeds_index)
    assert {r.doc_id for r in results if r.answers} == {CHESHIRE, WILTSHIRE}


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


def test_the_chat_compares_when_asked_each_card_with_its_own_confidence(app):
    history, _, answers, _ = app.respond("What does each PCC say about funding?", [], [], [])
    reply, answer = history[-1]["content"], answers[-1]
    assert reply.startswith("**By document** (you asked “each PCC”):") and "of 5 documents answer" in reply
    cards = reply.split('<div class="card">')[1:]
    assert len(cards) == len(answer.hits) >= 2  # a card per answering document, each citation a link
    for n, card in enumerate(cards, start=1):
        assert f'href="#cite-0-{n}">' in card and re.search(r"confidence (high|medium) \(0\.\d\d\)", card)
    assert "**Do not answer:**" in reply  # the documents that do not say are named, not given a card
    # "Each year" is no comparison; the switch asks for one for any question.
    history, *_ = app.respond("How many disruptions did the NWROCU carry out each year?", [], [], [])
    assert not history[-1]["content"].startswith("**By document**")
    history, *_ = app.respond("Who is the PCC for Cheshire?", [], [], [], each=True)
    assert history[-1]["content"].startswith("**By document** (the By document switch is on)")
    # A filter is said, with what was searched.
    history, *_ = app.respond("What rating did the North West ROCU receive?", [], [], [], 5, only=[CHESHIRE])
    assert history[-1]["content"].startswith("*Searched 1 of 5 documents: Response of David Keane")


def test_the_readers_decision_per_document_does_not_overclaim(seeds_index):
    """'What does each PCC say about funding?': Wiltshire's and Cheshire's responses speak of funding;
    the others do not (the newcomer saw "5 of 5 answer" before the reader decided per document)."""
    results = by_document("What does each PCC say about funding?", seeds_index)
    assert {r.doc_id for r in results if r.answers} == {CHESHIRE, WILTSHIRE}


def test_the_api_takes_mode_documents_and_by_document(app):
    data = app.ask_api("What rating did the North West ROCU receive?", 3, "keyword", [CHESHIRE])
    assert {h["doc_id"] for h in data["hits"]} == {CHESHIRE}
    data = app.ask_api("What does each PCC say about funding?", by_document=True)
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


def test_a_lead_in_and_its_quote_share_the_quote_bar_and_the_source_names_the_document():
    text = "Serena Kennedy, Chief Constable of Merseyside Police said:\n\n“The fight is reliant on partners."
    p = Passage("d.txt", 0, len(text), text, 1, ((0, len(text)),))
    hit = Hit(p, 0.9, "Emily Spurrell welcomes the rating", rank=1, answer_start=0, answer_end=len(text))
    lines = reply_markdown(Answer("q", [hit], confidence=0.9)).split("\n")
    assert lines[0].startswith("> <strong>Serena Kennedy") and "said:<br>“The fight" in lines[0]
    assert lines[0].count("“") == 1 and lines[0].count("”") == 1  # closed once, opened only by the document
    assert lines[1] == "> — Emily Spurrell welcomes the rating, paragraph 1"


def test_a_code_block_answer_is_shown_as_code_after_its_lead_in():
    text = "Read the file a line at a time:\n\nwith open(path) as f:\nfor line in f:\nprint(line)"
    p = Passage("d.txt", 0, len(text), text, 1, ((0, len(text)),))
    hit = Hit(p, 0.9, "Files", rank=1, answer_start=0, answer_end=len(text))
    bar = reply_markdown(Answer("How do I read a file line by line?", [hit], confidence=0.9)).split("\n")[0]
    assert bar.startswith('> Read the file a line at a time:<br><code class="block">with open&#40;path&#41; as f:<br>')
    assert "“" not in bar and "<strong>" not in bar
