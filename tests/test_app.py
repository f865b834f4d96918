"""The app's handlers as plain functions, with the real seeds index and real uploads."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime

import pytest

from qa.answering.answers import answer
from qa.app.chat import QAApp
from qa.app.document_view import document_html
from qa.app.intake import Intake
from qa.app.login import Login
from qa.app.render import readable_title, reply_markdown, text
from qa.cli import main
from qa.settings import Settings
from qa.store.local.index import Index
from tests.files import make_encrypted_pdf, make_pdf

CHESHIRE = "002_59c356561a19db13.txt"


@pytest.fixture()
def app(seeds_root, tmp_path):
    """The app over its own copy of the seeds index: uploads change the index they go into."""
    root = tmp_path / "index"
    shutil.copytree(seeds_root / "seeds", root / "seeds")
    settings = Settings(index_root=str(root), uploads_dir=str(tmp_path / "uploads"))
    return QAApp(Index.load(root / "seeds"), settings)


def test_a_reply_leads_with_the_answer_then_its_sources_a_card_a_document(app):
    history, turns, answers, box = app.respond("What rating did the North West ROCU receive?", [], [], [])
    reply, answer = history[-1]["content"], answers[-1]
    assert history[-1]["role"] == "assistant" and box == ""
    assert reply.startswith("> <strong>“") and "outstanding" in reply.split("\n")[0]
    assert reply.index("**Sources**") > reply.index("outstanding")
    assert reply.count("<details>") == 5 and "<mark>" in reply  # each passage folds, answer highlighted
    assert [t.question for t in turns] == ["What rating did the North West ROCU receive?"]
    # The answer carries the numbers of the citations that hold it, as links to reply 0's citations.
    markers = "".join(f'<a class="cite" href="#cite-0-{n}">[{n}]</a>' for n in answer.citations)
    assert answer.citations[0] == 1 and reply.split("\n")[0].endswith(f"<sup>{markers}</sup>")
    # One card a document, titled once in sentence case, its file name a detail, each passage under it
    # with its place and the answer sentence (not the passage's first words) as preview; no score of its
    # own: the reply's confidence is the one signal.
    cards = reply.split('<div class="card">')[1:]
    documents = {h.passage.doc_id for h in answer.hits}
    assert len(cards) == len(documents) and all(c.count('<span class="file">') == 1 for c in cards)
    assert sum(c.count('class="card-passage"') for c in cards) == len(answer.hits) == 5
    for hit in answer.hits:
        assert f'href="#cite-0-{hit.rank}">[{hit.rank}] {text(hit.location)}</a><br>' in reply
    assert " match (" not in reply and reply.count("Confidence: ") == 1
    first = cards[0].split('class="card-passage"')[1]
    assert "<mark>" in first and text(answer.best.answer_text[:40]) in first.split("<mark>")[1]
    assert answer.to_dict()["answer"]["citations"] == answer.citations


def test_a_title_in_capitals_is_shown_in_sentence_case_as_the_document_writes_its_words(app):
    doc = app.index.documents[CHESHIRE]
    assert doc.title == "RESPONSE OF DAVID KEANE, POLICE & CRIME COMMISSIONER FOR CHESHIRE"
    assert app.title(CHESHIRE) == "Response of David Keane, Police & Crime Commissioner for Cheshire"
    wiltshire = app.index.documents["003_666e703430145ad0.txt"]
    # "HMICFRS": capitals in the text too; "Swindon": not in the text, a name.
    assert readable_title(wiltshire.title, wiltshire.text).endswith("of Wiltshire and Swindon to the HMICFRS report")
    assert readable_title("Annual report 2026") == "Annual report 2026"  # not in capitals: as it is
    history, *_ = app.respond("Who is the PCC for Cheshire?", [], [], [])
    assert "Response of David Keane, Police &amp; Crime Commissioner for Cheshire</strong>" in history[-1]["content"]


def test_the_part_that_answers_is_bold_when_narrower_than_the_sentence(app):
    history, _, answers, _ = app.respond(
        "How many disruptions did the NWROCU carry out in the past 12 months?", [], [], []
    )
    first_line, answer = history[-1]["content"].split("\n")[0], answers[-1]
    assert first_line.startswith("> “") and "During the past 12 months" in first_line
    assert "<strong>more than 5900</strong>" in first_line
    # The quote opens a paragraph of a speech that closes only later: the reply closes it.
    assert first_line.count("“") == 1 and first_line.count("”") == 1
    assert answer.best.span_text == "more than 5900"
    assert answer.to_dict()["answer"]["span"]["text"] == "more than 5900"


def test_a_lead_in_that_ends_in_a_colon_runs_on_into_what_it_introduces(app):
    history, _, answers, _ = app.respond(
        "What did Assistant Chief Constable Jo Edwards say about the assessment?", [], [], []
    )
    best = answers[-1].best
    assert (
        best.answer_text.startswith("Following publication of the Peel Assessment") and "testimony" in best.answer_text
    )
    # Both in the quote bar, the lead-in on a line of its own and outside the quote it introduces.
    bar = history[-1]["content"].split("\n")[0]
    assert bar.startswith("> <strong>Following publication") and "said:<br>&quot;Our overall" in bar
    assert "testimony" in bar and "“" not in bar


def test_a_follow_up_is_searched_with_its_context_and_asked_alone_from_its_reply(app):
    history, turns, answers, _ = app.respond("Who is the Police and Crime Commissioner for Cheshire?", [], [], [])
    history, turns, answers, _ = app.respond("When did he respond to the report?", history, turns, answers)
    reply = history[-1]["content"]
    assert reply.startswith(
        "*Searched with the conversation:* “Who is the Police and Crime Commissioner for Cheshire? When did he"
    )
    assert '<a class="alone" href="#alone-1">Ask on its own</a>' in reply  # beside the answer it changes
    assert answers[-1].best.passage.doc_id == CHESHIRE and turns[-1].followed_up
    # "Ask on its own": the same question again, searched alone; the conversation's turns unchanged.
    history, after, answers = app.ask_alone("alone-1@3", history, turns, answers)
    assert (
        "Searched with" not in history[-1]["content"] and history[-2]["content"] == "When did he respond to the report?"
    )
    assert after == turns and len(answers) == 3


def test_follow_ups_lean_on_the_conversations_subject_not_only_the_question_before(app):
    history, turns, answers, _ = app.respond("What did Merseyside's PCC say about funding?", [], [], [])
    history, turns, answers, _ = app.respond("And what about Cheshire?", history, turns, answers)
    history, turns, answers, _ = app.respond("And what about Wiltshire?", history, turns, answers)
    assert turns[-1].searched == "What did Merseyside's PCC say about funding? And what about Wiltshire?"
    # A long question is never a follow-up, whatever words it holds.
    nonsense = " ".join(["these others and more"] * 60)[:990]
    *_, turns, _, _ = app.respond(nonsense, history, turns, answers)
    assert not turns[-1].followed_up


def test_a_question_the_documents_do_not_answer_says_so(app):
    history, _, answers, _ = app.respond("What is the boiling point of mercury in kelvin?", [], [], [], 3)
    reply = history[-1]["content"]
    assert answers[-1].abstained and reply.startswith("**Not in the documents.**")
    assert "Closest passages (low confidence)" in reply and reply.count("<details>") == 3


def test_an_empty_or_too_long_question_gets_a_message_and_is_kept_to_correct(app):
    history, turns, answers, box = app.respond("   ", [], [], [])
    assert history[-1]["content"].startswith("⚠️ the question is empty") and turns == [] and answers == [None]
    assert history[-2]["content"] == "*(an empty question)*"  # not an empty bubble
    long = "Who is the PCC for Cheshire? " * 40
    history, turns, answers, box = app.respond(long, history, turns, answers)
    assert history[-1]["content"].startswith(f"⚠️ the question is {len(long.strip())} characters long, over the limit")
    assert len(history[-2]["content"]) < 300 and history[-2]["content"].endswith("…")  # nor a page-long one
    assert box == long and answers == [None, None]  # not cut: refused, and left in the box


def test_the_filter_is_the_servers_and_every_tab_sees_it(app):
    assert app.scope_chip() == "Searching all 5 documents."
    chip = app.set_filter([CHESHIRE, "no-such.txt"])
    assert chip.startswith("**Searching only 1 of 5 documents:** Response of David Keane")
    *_, answers, _ = app.respond("What rating did the North West ROCU receive?", [], [], [])
    assert {h.passage.doc_id for h in answers[-1].hits} == {CHESHIRE}
    _, only, *_ = app.panel()  # what a second tab, or a reload, is given
    assert only["value"] == [CHESHIRE]
    app.set_filter([])
    assert app.panel()[1]["value"] == []


def test_every_citation_of_every_reply_opens_its_own_passage(app):
    history, turns, answers, _ = app.respond("How many years in prison have TITAN investigations produced?", [], [], [])
    history, turns, answers, _ = app.respond(
        "Who is the Police and Crime Commissioner for Cheshire?", history, turns, answers
    )
    older = app.open_citation("cite-0-1@5", answers)  # reply 0's first citation, after a newer reply
    assert 'class="doc-title"' in older and '<mark class="passage">' in older
    assert "<strong>2,000</strong> years in prison" in older.split('<mark class="answer">', 1)[1].split("</mark>", 1)[0]
    newer = app.open_citation("cite-1-1", answers)
    assert text(CHESHIRE) in newer and "2,000" not in newer.split('<mark class="answer">', 1)[1].split("</mark>", 1)[0]
    assert "¶ 3" in newer  # the paragraph the card names is marked in the view
    for target in (None, "cite-9-1", "cite-0-99", "cite-x-1", "page-0", "other-0-1"):
        assert "Choose a citation" in app.open_citation(target, answers)


def test_uploads_are_indexed_searched_with_the_seeds_and_kept_in_their_folder(app, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    good = incoming / "otters.txt"
    good.write_text("Otter survey 2026\n\nThe otter survey counted 417 otters along the river Kennet.")
    bad = incoming / "image.png"
    bad.write_bytes(b"\x89PNG\r\n")
    tool = incoming / "setup_tool.pdf"
    tool.write_bytes(b"MZ\x90\x00 a program renamed .pdf" + bytes(3000))
    empty = incoming / "empty.txt"
    empty.write_text("")
    status, choices = app.add_documents([str(good), str(bad), str(tool), str(empty)])
    assert "empty&#46;txt is empty, so it was not added" in status
    assert status.startswith("Added otters&#46;txt")
    assert "image&#46;png is not a kind of file this app reads &#40;&#46;png&#41;" in status
    assert "setup&#95;tool&#46;pdf is not a PDF file" in status and "damaged" not in status
    assert ("Otter survey 2026 (uploads/otters.txt)", "uploads/otters.txt") in choices["choices"]
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == ["otters.txt"]
    *_, answers, _ = app.respond("How many otters did the survey count?", [], [], [])
    assert answers[-1].hits[0].collection == "uploads" and "417" in answers[-1].text
    status, _ = app.add_documents([str(good)])
    assert "Already there: otters&#46;txt" in status
    binary = incoming / "scan.txt"
    binary.write_bytes(b"\x00\x01\x02 not text")
    status, _ = app.add_documents([str(binary)])
    assert "scan&#46;txt is not text in any common encoding" in status
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [
        "otters.txt"
    ]  # nothing kept that is not indexed
    # Another tab, or this one reloaded, lists the upload: the panel is the server's.
    table, only, yours, _, start = app.panel()
    assert "uploads/otters&#46;txt" in table and "Otter survey 2026" in table
    assert ("Otter survey 2026 (uploads/otters.txt)", "uploads/otters.txt") in yours["choices"]
    assert "uploads/otters.txt" in {d for _, d in only["choices"]}
    assert start["placeholder"].startswith("**6 documents loaded** (5 in seeds, 1 of yours)")


def test_an_upload_is_queued_at_once_and_each_is_reported_when_done(app, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    otters, herons = incoming / "otters.txt", incoming / "herons.txt"
    otters.write_text("Otter survey 2026\n\nThe otter survey counted 417 otters along the river Kennet.")
    herons.write_text("Heron count\n\nThe heron count found 23 herons nesting at Lower Moor.")
    with app.intake.lock:  # the index is being changed (another upload, a removal): the request does not wait
        started = time.monotonic()
        status, first = app.queue_upload([str(otters)])
        status2, second = app.queue_upload([str(herons)])
        assert time.monotonic() - started < 1.0
        assert status == "Queued otters&#46;txt: next in line." or "Indexing" in status
        assert status2 == "Queued herons&#46;txt: 1 upload ahead."
        assert not app.intake.job(first).finished.is_set()
    reports = [status for status, *_ in app.follow_upload(second)]
    assert reports[-1].startswith("Added herons&#46;txt: the index now holds 7 documents")
    # A box that resends a file it sent before (its copy processed and gone) queues nothing.
    assert app.queue_upload([str(incoming / "gone.txt")]) == ("No new files received: choose the files to add.", None)
    job = app.intake.job(first)  # one at a time, in the order they came
    assert job.finished.is_set() and job.lines[0].startswith("Added otters&#46;txt: the index now holds 6 documents")


def test_gradios_copies_wait_in_the_queues_own_folder_and_go_once_processed(app, tmp_path, monkeypatch):
    cache = tmp_path / "gradio-cache"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(cache))
    copy = cache / "3f2a" / "otters.txt"  # how Gradio keeps an upload: a folder of its own a file
    copy.parent.mkdir(parents=True)
    copy.write_text("Otter survey 2026\n\nThe otter survey counted 417 otters along the river Kennet.")
    with app.intake.lock:  # held: the job waits, as behind a long upload
        status, job_id = app.queue_upload([str(copy)])
        waiting = app.intake.job(job_id).paths[0]
        assert not copy.exists() and waiting.read_text().startswith("Otter survey")
        assert waiting.is_relative_to(tmp_path / "uploads" / ".queued")  # Gradio's cache cleaning cannot reach it
    *_, (status, _, _) = app.follow_upload(job_id)
    assert status.startswith("Added otters&#46;txt")
    assert not any((tmp_path / "uploads" / ".queued").iterdir()) and (tmp_path / "uploads" / "otters.txt").exists()


def test_an_upload_that_fails_unexpectedly_is_reported_and_the_next_one_is_worked_on(tmp_path):
    def process(paths):
        if paths[0].name == "bad.txt":
            raise RuntimeError("disk on fire")
        return [f"Added {paths[0].name}"]

    gone = []
    intake = Intake(process, cleanup=gone.extend)
    bad, good = intake.submit([tmp_path / "bad.txt"]), intake.submit([tmp_path / "good.txt"])
    assert good.wait(10) and bad.finished.is_set()
    assert bad.lines == ["⚠️ The upload could not be added: an unexpected RuntimeError (details in the server's "
                         "log). Try again; report it if it happens again."]  # fmt: skip
    assert good.lines == ["Added good.txt"] and gone == [tmp_path / "bad.txt", tmp_path / "good.txt"]


def test_a_pdf_upload_is_cited_by_page_and_a_locked_one_is_refused_with_its_reason(app, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    status, _ = app.add_documents([str(make_pdf(incoming / "report.pdf"))])
    assert status.startswith("Added report&#46;pdf")
    history, _, answers, _ = app.respond("How many passengers did the ferry to Greyhaven carry?", [], [], [])
    best = answers[-1].hits[0]
    assert best.passage.doc_id == "uploads/report.pdf" and best.location == "p. 2, Ferry services"
    assert f'href="#cite-0-1">[1] {text("p. 2, Ferry services")}</a>' in history[-1]["content"]
    # The document view shows the cited page itself, the answer's box drawn over it; the text below.
    page = app.open_citation("cite-0-1", answers)
    assert '<div class="page-image" data-page="2"><img src="data:image/png;base64,' in page
    assert page.count('class="highlight"') >= 1 and '<span class="page-mark">p. 2</span>' in page
    assert "cited: p&#46; 2" in page
    # Its next page, asked for by the view's link: drawn, with no box (the answer is on page 2).
    following = app.open_citation("page-0-1-3@4", answers)
    assert 'data-page="3"' in following and 'class="highlight"' not in following
    assert 'href="#page-0-1-2">back to the cited page 2' in following
    # The documents panel lists it with the date the file declares and the day it was added; the seeds
    # declare none. A by-document reply dates its card.
    table = app.documents_html()
    today = datetime.now(UTC).date().isoformat()
    assert f"uploads/report&#46;pdf · 4 passages · dated {text('2024-03-01')} · added {text(today)}" in table
    assert table.count("<li>") == 6 and table.count(">yours</span>") == 1
    history, *_ = app.respond("How many passengers did the ferry to Greyhaven carry?", [], [], [], each=True)
    assert f"<strong>Annual Report of Porthen Council</strong> · {text('2024-03-01')}" in history[-1]["content"]
    status, _ = app.add_documents([str(make_encrypted_pdf(incoming / "locked.pdf", user_password="secret"))])
    assert "locked&#46;pdf was not added: encrypted &#40;it needs a password&#41;" in status


def test_document_text_is_shown_as_text():
    from qa.records import Answer, Document, Hit, Passage

    raw = 'Beware <script>alert("x")</script> and <img src=x onerror=alert(1)> and *stars* [link](javascript:x)'
    doc = Document(id="evil.txt", title="<b>Evil</b>", text=raw, sha256="x")
    p = Passage(doc.id, 0, len(raw), raw, 1, ((0, len(raw)),))
    hit = Hit(p, 0.9, doc.title, rank=1, similarity=0.9, answer_start=0, answer_end=len(raw))
    for html in (reply_markdown(Answer("q", [hit])), document_html(doc, hit)):
        assert "<script" not in html and "<img" not in html and "<b>Evil" not in html
        assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert&#40;1&#41;&gt;" in html
        assert "&#91;link&#93;&#40;javascript:x&#41;" in html and "&#42;stars&#42;" in html
    assert text("a < b & c") == "a &lt; b &amp; c"


def test_serve_refuses_a_public_address_without_auth(capsys):
    assert main(["serve", "--host", "0.0.0.0"]) == 1
    assert "--auth USER:PASSWORD" in capsys.readouterr().err
    assert main(["serve", "--host", "0.0.0.0", "--auth", "nopassword"]) == 1
    assert "USER:PASSWORD" in capsys.readouterr().err


def test_failed_logins_are_limited_per_client_through_gradios_own_login_route(caplog):
    import gradio as gr
    import httpx
    from starlette.middleware import Middleware

    from qa.app.login import ClientAddress

    now = [0.0]
    login = Login("ana", "s3cret", max_failures=3, window=60.0, clock=lambda: now[0])
    with gr.Blocks() as demo:
        gr.Markdown("behind a login")
    middleware = [Middleware(ClientAddress)]  # as `qa serve` has
    _, url, _ = demo.launch(
        server_name="127.0.0.1", auth=login, prevent_thread_lock=True, quiet=True, app_kwargs={"middleware": middleware}
    )
    try:

        def log_in(user, password, source="127.0.0.1"):
            # Another loopback address stands for another machine: Linux answers all of 127.0.0.0/8.
            with httpx.Client(transport=httpx.HTTPTransport(local_address=source)) as client:
                return client.post(f"{url}login", data={"username": user, "password": password}).status_code

        assert log_in("ana", "s3cret") == 200
        guesser = "127.0.0.2"
        assert [log_in("ana", guess, guesser) for guess in ("a", "b", "c")] == [400, 400, 400]
        assert log_in("ana", "s3cret", guesser) == 400  # three guesses a minute: even the right one waits
        assert "login from 127.0.0.2 refused without checking" in caplog.text and "open again in 60 s" in caplog.text
        assert log_in("ana", "s3cret") == 200  # the rightful user, elsewhere, is not locked out
        now[0] += 61
        assert log_in("ana", "s3cret", guesser) == 200 and log_in("ANA", "s3cret") == 400
    finally:
        demo.close()


def test_many_addresses_cannot_guess_much_faster_than_one():
    from qa.app.login import CLIENT, SHARED

    now = [0.0]
    login = Login("ana", "s3cret", max_failures=2, window=60.0, clock=lambda: now[0])

    def log_in(password, source):
        token = CLIENT.set(source)
        try:
            return login("ana", password)
        finally:
            CLIENT.reset(token)

    for n in range(SHARED):  # each address stays within its own limit of 2
        assert not log_in("guess", f"10.0.0.{n}") and not log_in("guess", f"10.0.0.{n}")
    assert not log_in("s3cret", "10.0.1.1")  # the shared limit is reached: everybody waits
    now[0] += 61
    assert log_in("s3cret", "10.0.1.1") and not login._failures  # and nothing is remembered past the window


def test_uploads_deleted_while_the_app_was_stopped_leave_the_index_when_it_starts(app, tmp_path):
    from qa.app.serve import load_index

    otters = tmp_path / "otters.txt"
    otters.write_text("Otter survey 2026\n\nThe otter survey counted 417 otters along the river Kennet.")
    app.add_documents([str(otters)])
    assert "uploads/otters.txt" in app.index.documents
    (tmp_path / "uploads" / "otters.txt").unlink()  # the only upload, deleted by hand
    (tmp_path / "uploads" / ".queued").mkdir(exist_ok=True)  # what is left is the queue's hidden folder
    index = load_index("seeds", app.settings, show_progress=False)
    assert "uploads/otters.txt" not in index.documents and len(index.documents) == 5


def test_an_index_an_older_version_wrote_is_rebuilt_when_the_app_starts(seeds_root, tmp_path):
    import json
    import shutil

    from qa.app.serve import load_index
    from tests.conftest import SEEDS

    root = tmp_path / "index"
    shutil.copytree(seeds_root / "seeds", root / "seeds")
    manifest = json.loads((root / "seeds" / "manifest.json").read_text())
    (root / "seeds" / "manifest.json").write_text(json.dumps({**manifest, "format": 1}))
    settings = Settings(index_root=str(root), uploads_dir=str(tmp_path / "uploads"))
    index = load_index("seeds", settings, docs=str(SEEDS), show_progress=False)
    assert index.manifest["format"] == manifest["format"]
    assert answer("Who is the PCC for Cheshire?", index, 3).hits


def test_your_own_uploads_can_be_removed_and_the_seeds_cannot(app, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "otters.txt").write_text(
        "Otter survey 2026\n\nThe otter survey counted 417 otters along the river Kennet."
    )
    app.add_documents([str(incoming / "otters.txt")])
    assert app.upload_choices() == [("Otter survey 2026 (uploads/otters.txt)", "uploads/otters.txt")]
    status, *_ = app.remove_uploads([CHESHIRE])
    assert status.startswith("⚠️ Only your own uploads can be removed here") and CHESHIRE in app.index.documents
    status, only, yours = app.remove_uploads(["uploads/otters.txt"])
    assert status.startswith("Removed uploads/otters&#46;txt: the index now holds 5 documents")
    assert "uploads/otters.txt" not in app.index.documents and yours["choices"] == []
    assert not (tmp_path / "uploads" / "otters.txt").exists()  # or a restart would add it back
    assert answer("How many otters did the survey count?", app.index, 3).abstained
