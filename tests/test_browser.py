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
from tests.files import make_pdf

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
    expect(page.locator("#chat")).to_contain_text(" ".join(question.split())[:120])  # a long one is shortened


def last_reply(page):
    return page.locator("#chat .message-row").last


def in_view(page, selector: str) -> bool:
    """Whether the element's first line is on screen, with nothing drawn over it."""
    return page.evaluate(
        """(sel) => { const e = document.querySelector(sel); if (!e) return false;
           const r = e.getClientRects()[0] || e.getBoundingClientRect();
           if (r.top < 0 || r.top + Math.min(16, r.height) > window.innerHeight || r.height === 0) return false;
           const top = document.elementFromPoint(r.left + Math.min(12, r.width / 2), r.top + Math.min(8, r.height / 2));
           return !!top && (e === top || e.contains(top)); }""",
        selector,
    )


def assert_in_view(page, selector: str, timeout: float = 5.0) -> None:
    """in_view, allowed a moment for the page to settle (a panel sliding open, a load's overlay)."""
    deadline = time.monotonic() + timeout
    while not in_view(page, selector):
        assert time.monotonic() < deadline, f"{selector} is off screen or covered"
        page.wait_for_timeout(100)


def question_and_answer_in_view(page) -> None:
    """After a reply: its question, and its answer's first line, both inside the chat's view, uncovered."""
    page.wait_for_timeout(400)  # the reply's own scroll (REPLY_JS)
    frame = page.locator("#chat").bounding_box()
    rows = page.locator("#chat .message-row")
    question, reply = rows.nth(rows.count() - 2).bounding_box(), rows.last.bounding_box()
    assert frame["y"] - 1 <= question["y"] and question["y"] + 20 <= frame["y"] + frame["height"], (question, frame)
    first_line = reply["y"] + 30
    assert first_line <= frame["y"] + frame["height"] and first_line <= page.viewport_size["height"], (reply, frame)
    covered = page.evaluate(
        "([x, y]) => { const e = document.elementFromPoint(x, y); return e ? e.closest('#chat') === null : true; }",
        [reply["x"] + reply["width"] / 2, reply["y"] + 20],
    )
    assert not covered, "something is drawn over the reply's first line"


def test_a_desktop_conversation_with_citations_uploads_and_the_side_panel(server, browser, tmp_path):
    url, home = server
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url)
    chat, view = page.locator("#chat"), page.locator("#doc-view")

    # (7) The start screen says what is loaded; the filter, the upload box and the line that says what
    # is searched are all in view without scrolling, the last just above the question box.
    expect(chat).to_contain_text("5 documents loaded (5 in seeds)")
    for selector in ("#only", "#upload", "#scope", "#question", "#by-document", "#clear"):
        assert_in_view(page, selector)
    expect(page.locator("#scope")).to_have_text("Searching all 5 documents.")
    # (14) The page fits the window: nothing below the fold at 1400x900, the footer included.
    assert page.evaluate("document.documentElement.scrollHeight") <= 900
    scope, question_box = page.locator("#scope").bounding_box(), page.locator("#question").bounding_box()
    assert 0 <= question_box["y"] - (scope["y"] + scope["height"]) <= 40

    # (6) A reply keeps its question in view, the answer's first line under it, nothing over either.
    ask(page, "What rating did the North West ROCU receive?")
    expect(chat).to_contain_text("Sources", timeout=60_000)
    expect(chat.locator("blockquote strong").last).to_contain_text("outstanding rating")
    question_and_answer_in_view(page)
    # (9) One clear control (New conversation), no share button.
    assert page.locator("#chat button[aria-label='Clear']").is_hidden()
    assert page.locator("#chat button[aria-label*='hare'], #chat button[title*='hare']").count() == 0
    # (16) What a screen reader reads of each message is its text, not its Markdown and HTML.
    labels = page.locator('#chat [aria-label*="s message: "]')
    expect(labels.last).to_have_attribute("aria-label", re.compile(r"message: .*outstanding rating"))
    for label in labels.evaluate_all("(all) => all.map((m) => m.getAttribute('aria-label'))"):
        assert not re.search(r"<\w|&#|&quot;|\*\*|^> ", label.split("message: ", 1)[1]), label

    # (10) Opening a citation shows its document beside the chat; the answer does not move.
    answer_box = last_reply(page).locator("blockquote").first.bounding_box()
    page.locator('#chat a[href="#cite-0-1"]').first.click()
    expect(view.locator(".doc-id")).to_have_text("001_3f8c2f727cca616f.txt · cited: paragraph 2")
    expect(view.locator("mark.answer")).to_contain_text("outstanding rating")
    expect(view.locator(".para-mark").nth(1)).to_have_text("¶ 2")  # the place the card names is in the view
    page.wait_for_timeout(300)
    assert last_reply(page).locator("blockquote").first.bounding_box() == answer_box
    assert_in_view(page, "#doc-view mark.answer")

    # (5) Cards that can be told apart: a document's title in sentence case, once, its file a detail.
    ask(page, "Who is the PCC for Cheshire?")
    expect(chat).to_contain_text("DAVID KEANE", timeout=60_000)
    head = last_reply(page).locator(".card-head").first
    expect(head).to_contain_text("Response of David Keane, Police & Crime Commissioner for Cheshire")
    expect(head.locator(".file")).to_have_text("002_59c356561a19db13.txt")

    # (3) A follow-up is searched with the conversation, and "Ask on its own" beside it asks it alone.
    ask(page, "When did he respond?")
    expect(last_reply(page)).to_contain_text("27th April 2021", timeout=60_000)
    expect(last_reply(page)).to_contain_text("Searched with the conversation")
    last_reply(page).locator("a.alone").click()
    expect(chat.get_by_text("When did he respond?", exact=True)).to_have_count(2, timeout=60_000)
    expect(last_reply(page)).not_to_contain_text("Searched with")

    # (2) An older reply's citation opens its own passage after newer replies, in any order; one clicked
    # while another is still opening opens after it: the view ends on the last click, never an earlier one.
    page.evaluate("""async () => {
      const click = (n) => document.querySelector(`#chat a[href="#cite-${n}"]`).click();
      click('0-1'); await new Promise((r) => setTimeout(r, 20)); click('1-1'); }""")
    expect(view.locator(".doc-id")).to_contain_text("002_59c356561a19db13.txt")
    page.locator('#chat a[href="#cite-0-1"]').first.click()
    expect(view.locator(".doc-id")).to_contain_text("001_3f8c2f727cca616f.txt")
    expect(view.locator("mark.answer")).to_contain_text("outstanding rating")

    # (4) "By document" when asked by the switch: each card with its own confidence.
    page.locator("#by-document input").check()
    ask(page, "What did the commissioners say about funding?")
    expect(last_reply(page)).to_contain_text("By document (the By document switch is on)", timeout=60_000)
    expect(last_reply(page).locator(".card").first).to_contain_text("confidence")
    page.locator("#by-document input").uncheck()

    # (9) A question over the limit is refused in the page, as /ask refuses it, and left to shorten.
    long = "Who is the PCC for Cheshire? " * 40
    ask(page, long)
    expect(last_reply(page)).to_contain_text(f"the question is {len(long.strip())} characters long")
    assert len(page.locator("#question textarea").input_value()) == len(long)

    # (8) Uploads: a PDF and a hostile name are added; a program renamed .pdf and an .exe are refused
    # in plain words, and the drop zone takes the next upload at once.
    report = make_pdf(tmp_path / "report.pdf")
    evil = tmp_path / "zebra <script>.txt"
    evil.write_text(
        "Zebra audit\n\nThe zebra audit found 12 zebras in the paddock. "
        '<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">\n'
    )
    tool = tmp_path / "setup_tool.pdf"
    tool.write_bytes(b"MZ\x90\x00 a program renamed .pdf" + bytes(3000))
    exe = tmp_path / "setup.exe"
    exe.write_bytes(b"MZ\x90\x00 a program")
    page.locator("#upload input[type=file]").set_input_files([str(report), str(evil), str(tool), str(exe)])
    status = page.locator("#upload-status")
    expect(status).to_contain_text("Added", timeout=120_000)
    expect(status).to_contain_text("setup_tool.pdf is not a PDF file")
    expect(status).to_contain_text("setup.exe is not a kind of file this app reads (.exe)")
    expect(page.locator("#upload")).not_to_contain_text("Error")
    saved = sorted(p.name for p in (home / "uploads").iterdir() if not p.name.startswith("."))
    assert saved[0] == "report.pdf" and saved[1].startswith("zebra") and not set("<>/") & set(saved[1])
    assert not [p for p in (home / "uploads" / ".incoming").rglob("*") if p.is_file() and p.stat().st_size]
    herons = tmp_path / "herons.txt"
    herons.write_text("Heron count\n\nThe heron count found 23 herons nesting at Lower Moor.\n")
    big = tmp_path / "big.txt"
    big.write_text("Too big to take. " * 360_000)  # 6.1 MB
    # (8) A file over the size limit is refused in the panel in plain words, not with an "Error" pill.
    page.locator("#upload input[type=file]").set_input_files([str(herons), str(big)])
    expect(status).to_contain_text("Added herons.txt", timeout=120_000)
    expect(status).to_contain_text("big.txt was not added: 6.1 MB is over the 5 MB limit")
    expect(page.locator("#upload")).not_to_contain_text("Error")
    expect(page.locator("#documents-table")).to_contain_text("uploads/herons.txt")

    # Document text is shown as text, never run.
    ask(page, "How many zebras did the zebra audit find in the paddock?")
    expect(last_reply(page).locator("blockquote")).to_contain_text("12 zebras", timeout=60_000)
    last_reply(page).locator("a.cite.place").first.click()
    expect(view).to_contain_text('<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">')
    assert page.evaluate("window.__pwned") is None

    # (10) A PDF citation shows the cited page itself, the answer's box highlighted on it.
    ask(page, "How many passengers did the ferry to Greyhaven carry?")
    expect(last_reply(page).locator("blockquote")).to_contain_text("48,000", timeout=60_000)
    question_and_answer_in_view(page)  # the reply's own scroll done
    answer_box = last_reply(page).locator("blockquote").first.bounding_box()
    last_reply(page).locator("sup a.cite").first.click()
    image = view.locator(".page-image[data-page='2'] img")
    expect(image).to_be_visible()
    highlight = view.locator(".page-image .highlight").first
    expect(highlight).to_be_visible()
    page.wait_for_timeout(300)
    img, box = image.bounding_box(), highlight.bounding_box()
    assert img["x"] <= box["x"] and box["x"] + box["width"] <= img["x"] + img["width"] + 1
    assert img["y"] <= box["y"] and box["y"] + box["height"] <= img["y"] + img["height"] + 1
    assert_in_view(page, "#doc-view .page-image .highlight")
    assert last_reply(page).locator("blockquote").first.bounding_box() == answer_box  # the answer stays
    shot = Path(SCREENSHOTS or tmp_path) / "screenshot.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:4] == b"\x89PNG"
    # (11) A page a person can read: zoomed to twice the panel's width, and paged on and back.
    width = image.bounding_box()["width"]
    view.locator(".zoom-toggle").check()
    page.wait_for_timeout(200)
    assert image.bounding_box()["width"] > 1.8 * width
    view.get_by_role("link", name="Next ›").click()
    expect(view.locator(".page-image[data-page='3'] img")).to_be_visible()
    expect(view.locator(".page-image .highlight")).to_have_count(0)
    view.get_by_role("link", name="back to the cited page 2").click()
    expect(view.locator(".page-image[data-page='2'] .highlight").first).to_be_visible()

    # (7) The filter, chosen in the side panel, is said above the question box.
    page.locator("#only input").click()
    page.locator("#only input").fill("Heron")
    page.get_by_role("option", name="Heron count (uploads/herons.txt)").click()
    page.keyboard.press("Escape")
    expect(page.locator("#scope")).to_contain_text("Searching only 1 of 8 documents: Heron count")
    expect(page.locator("#scope")).to_contain_text("change it under “Search only these documents”")
    # (12) The chosen document is one line; the hint reads true after a choice; no list scrolls inside the panel.
    assert page.locator("#only .token").first.bounding_box()["height"] < 40
    expect(page.locator("#only")).to_contain_text("leave it empty to search them all")
    assert page.evaluate(
        "(() => { const l = document.querySelector('ul.documents'); return l.scrollHeight <= l.clientHeight + 1; })()"
    )

    # (1) A second tab, and this one reloaded, show the uploads and the filter: they are the server's.
    other = browser.new_page(viewport={"width": 1400, "height": 900})
    other.goto(url)
    expect(other.locator("#documents-table")).to_contain_text("uploads/report.pdf")
    expect(other.locator("#documents-table")).to_contain_text("Annual Report of Porthen Council")
    expect(other.locator("#yours")).to_contain_text("Heron count (uploads/herons.txt)")
    expect(other.locator("#scope")).to_contain_text("Searching only 1 of 8 documents: Heron count")
    expect(other.locator("#chat")).to_contain_text("8 documents loaded (5 in seeds, 3 of yours)")
    page.reload()
    expect(page.locator("#documents-table")).to_contain_text("uploads/herons.txt")
    expect(page.locator("#only")).to_contain_text("Heron count")
    ask(page, "Who is the PCC for Cheshire?")
    expect(last_reply(page)).to_contain_text("Searched 1 of 8 documents", timeout=60_000)

    # New conversation forgets it: a question that points back is not searched with the one before.
    page.locator("#only .token-remove, #only [aria-label*='emove']").first.click()
    page.keyboard.press("Escape")  # the options list opens on the click
    expect(page.locator("#scope")).to_have_text("Searching all 8 documents.")
    # (7) The other tab, left open, follows: its scope line and filter never say what is no longer so.
    expect(other.locator("#scope")).to_have_text("Searching all 8 documents.", timeout=15_000)
    expect(other.locator("#only")).not_to_contain_text("Heron count")
    other.close()
    page.locator("#clear").click()
    expect(page.locator("#chat .message-row")).to_have_count(0)
    ask(page, "When was it published?")
    expect(last_reply(page)).not_to_contain_text("Searched with", timeout=60_000)

    # (15) Removing an upload deletes its file: the page asks first, naming it, and a "no" keeps it.
    page.locator("#yours").get_by_label("Heron count (uploads/herons.txt)").check()
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator("#remove").click()
    page.wait_for_timeout(1000)
    assert asked and "uploads/herons.txt" in asked[0] and "cannot be undone" in asked[0]
    expect(page.locator("#documents-table")).to_contain_text("uploads/herons.txt")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#remove").click()
    expect(page.locator("#documents-status")).to_contain_text("Removed uploads/herons.txt", timeout=60_000)
    expect(page.locator("#documents-table")).not_to_contain_text("uploads/herons.txt")
    assert not (home / "uploads" / "herons.txt").exists()
    page.close()


def test_on_a_phone_the_chat_comes_first_and_the_panel_is_one_tap_away(server, browser, tmp_path):
    """At 390x844 the side panel starts closed; after a reply its question and answer are on screen,
    inside the chat, with nothing over them; one labelled tap opens the documents and settings."""
    url, _ = server
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(url)
    expect(page.locator("#panel")).not_to_have_class(re.compile(r"\bopen\b"))
    assert_in_view(page, "#panel-button")  # on the first screen, not below it
    # An example on the start screen asks when tapped.
    page.locator("#chat").get_by_text("How many years in prison have TITAN investigations produced?").click()
    expect(page.locator("#chat")).to_contain_text("2,000 years", timeout=60_000)
    ask(page, "Who is the PCC for Cheshire?")
    expect(page.locator("#chat")).to_contain_text("DAVID KEANE", timeout=60_000)
    question_and_answer_in_view(page)
    answer = last_reply(page).locator("blockquote").first.bounding_box()
    assert answer["width"] <= 390
    shot = Path(SCREENSHOTS or tmp_path) / "phone.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:4] == b"\x89PNG"
    # A citation on a phone: the document is brought up below the chat.
    last_reply(page).locator("sup a.cite").first.click()
    expect(page.locator("#doc-view mark.answer")).to_contain_text("DAVID KEANE")
    page.wait_for_timeout(300)
    assert page.locator("#doc-view").bounding_box()["y"] < 844
    # ... and a way back up to the answer.
    page.locator("#doc-view .back-to-answer").click()
    page.wait_for_timeout(300)
    chat = page.locator("#chat").bounding_box()
    assert -1 <= chat["y"] <= 100 and chat["y"] + chat["height"] <= 844  # the chat, whole, on screen
    page.locator("#panel-button").click()
    expect(page.locator("#only")).to_be_visible()
    assert_in_view(page, "#only")
    # (13) Choosing a document closes the filter's list, which would cover the panel.
    page.locator("#only input").click()
    page.get_by_role("option", name=re.compile("Cheshire")).click()
    expect(page.get_by_role("option")).to_have_count(0)
    expect(page.locator("#scope")).to_contain_text("Searching only 1 of")
    page.locator("#only .token-remove, #only [aria-label*='emove']").first.click()  # the server's filter: undone
    expect(page.locator("#scope")).to_contain_text("Searching all")
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

    from qa.app.serve import REQUEST_BYTES, WAITING_FILES, UploadGuard

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
