"""End to end in a real browser: `qa serve` in a subprocess, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
# The README's screenshots (screenshot.png at 1400x900, phone.png at 390x844) are refreshed only when
# asked: QA_SCREENSHOTS=docs make test. Otherwise they go to the tests' temporary folders, and the work
# tree stays as it was.
SCREENSHOTS = os.environ.get("QA_SCREENSHOTS")
QA = Path(sys.executable).parent / "qa"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(seeds_root, tmp_path_factory):
    """`qa serve` on a free port over a copy of the seeds index; its uploads in a temporary folder."""
    home = tmp_path_factory.mktemp("served")
    shutil.copytree(seeds_root / "seeds", home / "index" / "seeds")
    port = free_port()
    env = {**os.environ, "QA_INDEX_ROOT": str(home / "index"), "QA_UPLOADS_DIR": str(home / "uploads")}
    log = (home / "serve.log").open("w")
    # Through an audit hook that writes down any connection or name lookup leaving this machine.
    serve = [sys.executable, str(ROOT / "tests" / "offline_serve.py"), str(home / "outbound.log"), "serve"]
    proc = subprocess.Popen([*serve, "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        assert proc.poll() is None, (home / "serve.log").read_text()
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            assert time.monotonic() < deadline, "the app did not start in 180 s"
            time.sleep(0.5)
    yield url, home
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run"],
        )  # fmt: skip
        yield browser
        browser.close()


def ask(page, question: str) -> None:
    before = page.locator("#chat .message-row, #chat [data-testid='bot']").count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.wait_for_function(
        "n => document.querySelectorAll(\"#chat .message-row, #chat [data-testid='bot']\").length > n", arg=before
    )
    expect(page.locator("#chat")).to_contain_text(question)


def test_ask_read_open_upload_in_a_real_browser(server, browser, tmp_path):
    url, home = server
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url)

    # Ask a seed question: the reply quotes the answer and cites the document.
    ask(page, "What rating did the North West ROCU receive?")
    chat = page.locator("#chat")
    expect(chat).to_contain_text("Citations", timeout=60_000)
    expect(chat).to_contain_text("Emily Spurrell welcomes 'outstanding' grading")
    expect(chat.locator("blockquote strong").last).to_contain_text("outstanding rating")

    # Open the citation the answer's marker names ("[1]"): the whole document, the passage and answer
    # highlighted. (Choosing it under "Open a cited document" does the same: the phone test.)
    page.locator('#chat a[href="#cite-1"]').last.click()
    view = page.locator("#doc-view")
    expect(view.locator(".doc-id")).to_have_text("001_3f8c2f727cca616f.txt · cited: paragraph 2")
    expect(view.locator("mark.answer")).to_contain_text("outstanding rating")
    expect(view).to_contain_text("Serena Kennedy, Chief Constable of Merseyside Police")  # the rest of it
    # The opened document is in view, at its passage, with a way back to the conversation.
    page.wait_for_timeout(300)
    answer_box, title_box = view.locator("mark.answer").bounding_box(), view.locator(".doc-title").bounding_box()
    assert 0 <= answer_box["y"] and answer_box["y"] + 20 <= page.viewport_size["height"], answer_box
    assert 0 <= title_box["y"] <= page.viewport_size["height"] / 2, title_box  # the panel brought up
    expect(view.locator("a.back")).to_have_attribute("href", "#chat")
    # For the README: the top of the page, the chat scrolled back to the question and its answer.
    page.wait_for_timeout(300)  # the document view's own scroll to the passage
    page.evaluate(
        "() => { window.scrollTo(0, 0); document.querySelectorAll('#chat *').forEach(e => e.scrollTop = 0); }"
    )
    shot = Path(SCREENSHOTS or tmp_path) / "screenshot.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:4] == b"\x89PNG"

    # Upload a document, and a hostile one; ask about them.
    otters = tmp_path / "otters.txt"
    otters.write_text("Otter survey 2026\n\nThe otter survey counted 417 otters along the river Kennet.\n")
    evil = tmp_path / "zebra <script>.txt"
    evil.write_text(
        "Zebra audit\n\nThe zebra audit found 12 zebras in the paddock. "
        '<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">\n'
    )
    page.get_by_text("Add documents", exact=True).click()  # the accordion renders its content when opened
    page.locator("#upload input[type=file]").set_input_files([str(otters), str(evil)])
    expect(page.locator("#upload-status")).to_contain_text("Added", timeout=120_000)
    saved = sorted(p.name for p in (home / "uploads").iterdir() if not p.name.startswith("."))
    assert saved[0] == "otters.txt" and saved[1].startswith("zebra") and not set("<>/") & set(saved[1])
    # Gradio's own copies of the uploads were kept in the app's folder, and deleted once processed
    # (Gradio leaves empty temporary files of its form parsing there; the app clears them at start).
    assert not [p for p in (home / "uploads" / ".incoming").rglob("*") if p.is_file() and p.stat().st_size]
    # The box is emptied once its files are queued, so a second upload from the same page sends only its
    # own file and is reported too.
    expect(page.locator("#upload")).not_to_contain_text("otters")
    herons = tmp_path / "herons.txt"
    herons.write_text("Heron count\n\nThe heron count found 23 herons nesting at Lower Moor.\n")
    page.locator("#upload input[type=file]").set_input_files([str(herons)])
    expect(page.locator("#upload-status")).to_contain_text("Added herons.txt", timeout=120_000)

    ask(page, "How many otters did the survey count?")
    expect(chat.locator("blockquote").last).to_contain_text("417 otters", timeout=60_000)
    expect(chat.locator("blockquote strong").last).to_have_text("417")  # the part that answers
    expect(chat).to_contain_text("otters.txt")

    ask(page, "How many zebras did the zebra audit find in the paddock?")
    expect(chat.locator("blockquote").last).to_contain_text("12 zebras", timeout=60_000)
    page.locator("#citations label").first.click()
    expect(view).to_contain_text('<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">')
    assert page.evaluate("window.__pwned") is None  # shown as text, never run

    # The reply is shown from its top (the answer), not scrolled to its last citation; the chat is long
    # by now, so it has to scroll.
    ask(page, "How many years in prison have TITAN investigations produced?")
    expect(chat).to_contain_text("2,000 years", timeout=60_000)
    page.wait_for_timeout(400)
    answer_top = chat.locator(".message-row").last.locator("blockquote").first.bounding_box()["y"]
    box = chat.bounding_box()
    assert box["y"] <= answer_top <= box["y"] + box["height"] / 2, (answer_top, box)
    # An earlier reply's marker opens nothing (the citations to choose are the newest reply's); the
    # newest reply's marker opens its own passage.
    shown = view.inner_text()
    chat.locator('a[href="#cite-1"]').first.click()
    page.wait_for_timeout(500)
    assert view.inner_text() == shown
    chat.locator('a[href="#cite-1"]').last.click()
    expect(view.locator("mark.answer")).to_contain_text("years in prison")

    # Clear forgets the conversation: a question that points back is not glued to the one before.
    page.locator("#clear").click()
    expect(chat).not_to_contain_text("zebras")
    ask(page, "When was it published?")
    expect(chat.locator(".message-row, [data-testid='bot']").last).not_to_contain_text("Searched:")

    # A follow-up is searched with the question before it, and one click asks it on its own instead.
    ask(page, "Who is the PCC for Cheshire?")
    expect(chat).to_contain_text("DAVID KEANE", timeout=60_000)
    expect(page.locator("#alone")).to_be_hidden()
    ask(page, "When did he respond?")
    expect(chat.locator(".message-row, [data-testid='bot']").last).to_contain_text("Searched:", timeout=60_000)
    page.locator("#alone").click()
    expect(page.locator("#alone")).to_be_hidden(timeout=60_000)
    expect(chat.get_by_text("When did he respond?", exact=True)).to_have_count(2)  # asked again
    expect(chat.locator(".message-row, [data-testid='bot']").last).not_to_contain_text("Searched:")

    # "each" asks every document: one card per answering document, and those that do not say.
    ask(page, "What did each commissioner say about funding?")
    expect(chat).to_contain_text("By document:", timeout=60_000)
    compared = chat.locator(".message-row, [data-testid='bot']").last
    answering = int(re.search(r"By document: (\d+) of \d+ documents answer", compared.inner_text()).group(1))
    assert answering >= 2 and compared.locator("ol > li").count() == answering  # a card per document

    # An example asks when clicked (the chat was cleared of this answer above).
    page.get_by_text("How many years in prison have TITAN investigations produced?", exact=True).first.click()
    expect(chat).to_contain_text("2,000 years", timeout=60_000)

    # The documents panel lists what is indexed (the uploads too); choosing one searches only it, and the
    # reply says so.
    page.get_by_text("Documents", exact=True).click()
    table = page.locator("#documents-table")
    expect(table).to_contain_text("uploads/otters.txt")
    expect(table).to_contain_text("Otter survey 2026")
    expect(table).to_contain_text("002_59c356561a19db13.txt")
    page.locator("#only input").click()
    page.locator("#only input").fill("Otter survey")
    page.get_by_role("option", name="Otter survey 2026 (uploads/otters.txt)").click()
    page.locator("#documents").click(position={"x": 5, "y": 5})  # close the options list
    ask(page, "Who is the PCC for Cheshire?")
    expect(chat.locator(".message-row, [data-testid='bot']").last).to_contain_text(
        "Searched 1 of 8 documents", timeout=60_000
    )
    page.close()


def test_on_a_phone_the_answer_is_in_view_and_nothing_covers_it(server, browser, tmp_path):
    """At 390x844 the columns stack: after a reply its answer is on screen, inside the chat, with no
    toolbar over it; the screenshot goes to a temporary folder."""
    url, _ = server
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(url)
    for question in ["Who is the PCC for Cheshire?", "How many years in prison have TITAN investigations produced?"]:
        ask(page, question)
    chat = page.locator("#chat")
    expect(chat).to_contain_text("2,000 years", timeout=60_000)
    page.wait_for_timeout(400)
    answer = chat.locator(".message-row").last.locator("blockquote").first
    box, frame = answer.bounding_box(), chat.bounding_box()
    assert box["width"] <= 390 and frame["y"] <= box["y"] <= frame["y"] + frame["height"] - 20, (box, frame)
    # Nothing is drawn over the answer's first line: the topmost element there belongs to the answer.
    on_top = page.evaluate(
        "([x, y]) => { const e = document.elementFromPoint(x, y); return e && !!e.closest('blockquote'); }",
        [box["x"] + 10, box["y"] + 8],
    )
    assert on_top, "something covers the answer"
    shot = Path(SCREENSHOTS or tmp_path) / "phone.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:4] == b"\x89PNG"
    page.close()


def test_the_ask_api_returns_json(server):
    from gradio_client import Client

    url, _ = server
    result = Client(url, verbose=False).predict(
        "Who is the Police and Crime Commissioner for Cheshire?", 3, api_name="/ask"
    )
    assert result["question"] == "Who is the Police and Crime Commissioner for Cheshire?"
    assert result["answer"]["doc_id"] == "002_59c356561a19db13.txt" and "DAVID KEANE" in result["answer"]["text"]
    assert len(result["hits"]) == 3 and result["hits"][0]["title"]
    # Only the public endpoints are on the API page; the chat's handlers are not.
    endpoints = set(Client(url, verbose=False).view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert endpoints == {"/ask", "/documents"}


def test_the_app_never_reaches_beyond_this_machine(server):
    """Offline means offline: starting, answering in the browser and through the API, uploading, made
    no connection and looked up no name outside this machine (the server's audit hook says)."""
    _, home = server
    outbound = home / "outbound.log"
    assert not outbound.exists() or outbound.read_text() == "", outbound.read_text()


def test_gradios_upload_route_is_bounded_and_what_it_keeps_is_the_apps(server):
    """Files posted straight to Gradio's upload route (no page, no app event) land in the app's own
    folder; past the limits the route refuses more; a request larger than one upload is refused."""
    import httpx

    from qa.serve import REQUEST_BYTES, WAITING_FILES, UploadGuard

    url, home = server
    incoming = home / "uploads" / ".incoming"
    reply = httpx.post(f"{url}gradio_api/upload", files={"files": ("tool.exe", b"MZ not a document")})
    assert reply.status_code == 200 and Path(reply.json()[0]).is_relative_to(incoming)
    filler = incoming / "filler"
    filler.mkdir(parents=True, exist_ok=True)
    for n in range(WAITING_FILES):
        (filler / f"{n}.txt").write_text("waiting")
    try:
        reply = httpx.post(f"{url}gradio_api/upload", files={"files": ("more.txt", b"more")})
        assert reply.status_code == 429 and "too many uploads are waiting" in reply.text
    finally:
        for path in filler.iterdir():
            path.unlink()
        filler.rmdir()
    assert httpx.post(f"{url}gradio_api/upload", files={"files": ("ok.txt", b"ok")}).status_code == 200
    guard = UploadGuard(None, incoming)
    assert guard.refusal(str(REQUEST_BYTES + 1).encode())[0] == 413 and guard.refusal(None)[0] == 411
