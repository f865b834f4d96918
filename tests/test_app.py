"""The app's handlers as plain functions, with the real seeds index and real uploads."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime

import pytest

from qa.answers import answer
from qa.app import QAApp
from qa.cli import main
from qa.conversation import was_followup
from qa.index import Index
from qa.intake import Intake
from qa.login import Login
from qa.render import document_html, reply_markdown, text
from qa.settings import Settings
from tests.files import make_encrypted_pdf, make_pdf

CHESHIRE = "002_59c356561a19db13.txt"


@pytest.fixture()
def app(seeds_root, tmp_path):
    """The app over its own copy of the seeds index: uploads change the index they go into."""
    root = tmp_path / "index"
    shutil.copytree(seeds_root / "seeds", root / "seeds")
    settings = Settings(index_root=str(root), uploads_dir=str(tmp_path / "uploads"))
    return QAApp(Index.load(root / "seeds"), settings)


def test_a_reply_leads_with_the_answer_then_citations(app):
    history, earlier, citations, answer, box = app.respond("What rating did the North West ROCU receive?", [], [])
    reply = history[-1]["content"]
    assert history[-1]["role"] == "assistant" and box == ""
    assert reply.startswith("> <strong>“") and "outstanding" in reply.split("\n")[0]
    assert reply.index("**Citations**") > reply.index("outstanding")
    assert reply.count("<details>") == 5 and "<mark>" in reply  # each passage folds, answer highlighted
    assert "001&#95;3f8c2f727cca616f&#46;txt · paragraph" in reply
    assert len(citations["choices"]) == 5 and earlier == ["What rating did the North West ROCU receive?"]
    # The answer carries the numbers of the citations that hold it; each card a short title and a match word.
    markers = "".join(f'<a href="#cite-{n}">[{n}]</a>' for n in answer.citations)  # links: they open the passage
    assert answer.citations[0] == 1 and reply.split("\n")[0].endswith(f"<sup>{markers}</sup>")
    cards = [line for line in reply.split("\n") if line[:3] in {f"{n}. " for n in range(1, 6)}]
    assert len(cards) == 5 and all(f"· {h.match_words} match (" in c for c, h in zip(cards, answer.hits, strict=True))
    assert all(len(h.title) > 60 for h in answer.hits[:4]) and cards[0].count("…**") == 1  # titles shortened
    assert answer.to_dict()["answer"]["citations"] == answer.citations


def test_the_part_that_answers_is_bold_when_narrower_than_the_sentence(app):
    history, *_, answer, _ = app.respond("How many disruptions did the NWROCU carry out in the past 12 months?", [], [])
    first_line = history[-1]["content"].split("\n")[0]
    assert first_line.startswith("> “") and "During the past 12 months" in first_line
    assert "<strong>more than 5900</strong>" in first_line
    assert answer.best.span_text == "more than 5900"
    assert answer.to_dict()["answer"]["span"]["text"] == "more than 5900"


def test_a_follow_up_is_searched_with_its_context(app):
    history, earlier, *_ = app.respond("Who is the Police and Crime Commissioner for Cheshire?", [], [])
    history, earlier, _, answer, _ = app.respond("When did he respond to the report?", history, earlier)
    reply = history[-1]["content"]
    assert reply.startswith("*Searched:* “Who is the Police and Crime Commissioner for Cheshire? When did he respond")
    assert answer.best.passage.doc_id == CHESHIRE
    assert len(earlier) == 2
    # "Ask on its own": the same question again, searched alone; the conversation's questions unchanged.
    assert was_followup(earlier) and not was_followup(earlier[:1])
    history, after, *_ = app.ask_alone(history, earlier)
    assert "Searched:" not in history[-1]["content"] and history[-2]["content"] == "When did he respond to the report?"
    assert after == earlier


def test_a_question_the_documents_do_not_answer_says_so(app):
    history, *_, answer, _ = app.respond("What is the boiling point of mercury in kelvin?", [], [], 3)
    reply = history[-1]["content"]
    assert answer.abstained and reply.startswith("**Not in the documents.**")
    assert "Closest passages (low confidence)" in reply and reply.count("<details>") == 3


def test_an_empty_question_gets_a_message_not_an_error(app):
    history, earlier, *_ = app.respond("   ", [], [])
    assert history[-1]["content"].startswith("⚠️ the question is empty") and earlier == []


def test_restricting_to_documents(app):
    only = [CHESHIRE]
    *_, answer, _ = app.respond("What rating did the North West ROCU receive?", [], [], 5, only)
    assert answer.hits and {h.passage.doc_id for h in answer.hits} == {CHESHIRE}


def test_a_citation_opens_its_document_with_passage_and_answer_highlighted(app):
    *_, answer, _ = app.respond("How many years in prison have TITAN investigations produced?", [], [])
    page = app.show_document("0", answer)
    assert 'class="doc-title"' in page and '<mark class="passage">' in page
    assert "<strong>2,000</strong> years in prison" in page.split('<mark class="answer">', 1)[1].split("</mark>", 1)[0]
    assert "Choose a citation" in app.show_document(None, None)


def test_uploads_are_indexed_searched_with_the_seeds_and_kept_in_their_folder(app, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    good = incoming / "otters.txt"
    good.write_text("Otter survey 2026\n\nThe otter survey counted 417 otters along the river Kennet.")
    bad = incoming / "image.png"
    bad.write_bytes(b"\x89PNG\r\n")
    status, choices = app.add_documents([str(good), str(bad)])
    assert status.startswith("Added otters&#46;txt") and "Refused image&#46;png: unsupported format" in status
    assert ("Otter survey 2026 (uploads/otters.txt)", "uploads/otters.txt") in choices["choices"]
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == ["otters.txt"]
    *_, answer, _ = app.respond("How many otters did the survey count?", [], [])
    assert answer.hits[0].collection == "uploads" and "417" in answer.text
    status, _ = app.add_documents([str(good)])
    assert "Already there: otters&#46;txt" in status
    binary = incoming / "scan.txt"
    binary.write_bytes(b"\x00\x01\x02 not text")
    status, _ = app.add_documents([str(binary)])
    assert "Refused scan&#46;txt: not text in any common encoding" in status
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [
        "otters.txt"
    ]  # nothing kept that is not indexed


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
    history, *_, answer, _ = app.respond("How many passengers did the ferry to Greyhaven carry?", [], [])
    best = answer.hits[0]
    assert best.passage.doc_id == "uploads/report.pdf" and best.location == "p. 2, Ferry services"
    assert f"uploads/report&#46;pdf · {text('p. 2, Ferry services')}" in history[-1]["content"]
    page = app.show_document("0", answer)
    assert '<span class="page-mark">p. 2</span>' in page and "cited: p&#46; 2" in page
    # The documents panel lists it with the date the file declares and the day it was added; the seeds
    # declare none. A by-document reply dates its card.
    rows = {row[1]: row for row in app.documents_table()}
    assert rows["uploads/report.pdf"][2:5] == ["uploads", rows["uploads/report.pdf"][3], "2024-03-01"]
    assert rows["uploads/report.pdf"][5] == datetime.now(UTC).date().isoformat()
    assert rows[CHESHIRE][2] == "seeds" and rows[CHESHIRE][4] == "—" and len(rows) == 6
    history, *_ = app.respond("How many passengers did the ferry to Greyhaven carry?", [], [], each=True)
    assert f"**Annual Report of Porthen Council** · {text('2024-03-01')} ·" in history[-1]["content"]
    status, _ = app.add_documents([str(make_encrypted_pdf(incoming / "locked.pdf", user_password="secret"))])
    assert "Refused locked&#46;pdf: encrypted &#40;it needs a password&#41;" in status


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

    from qa.login import ClientAddress

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
    from qa.login import CLIENT, SHARED

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
    from qa.serve import load_index

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

    from qa.serve import load_index
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
    assert app.ask("How many otters did the survey count?", [], 3, None, "hybrid")[0].abstained
