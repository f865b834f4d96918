"""Time one answer in a real browser: `qa serve` on the seeds, Debian's chromium via Playwright.

    .venv/bin/python benchmarks/browser.py [--runs 10]

Prints the time from `qa serve` starting to its first /ask answer, and the median time from clicking
Ask to the reply being shown, over --runs seed questions.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
QA = Path(sys.executable).parent / "qa"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in (ROOT / "seeds" / "questions.jsonl").open()][: args.runs]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.perf_counter()
    server = subprocess.Popen([QA, "serve", "--port", str(port)], cwd=ROOT, env=os.environ.copy(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        from gradio_client import Client

        while True:
            try:
                Client(f"http://127.0.0.1:{port}/", verbose=False).predict(questions[0], 5, api_name="/ask")
                break
            except Exception:  # not up yet
                time.sleep(0.25)
        first_answer = time.perf_counter() - started
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                              "--disable-component-update", "--no-first-run"])  # fmt: skip
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            times = []
            for question in questions:
                shown = page.locator("#chat details").count()  # every reply adds its citations
                page.locator("#question textarea").fill(question)
                t0 = time.perf_counter()
                page.locator("#ask").click()
                page.wait_for_function("n => document.querySelectorAll('#chat details').length > n", arg=shown)
                times.append(time.perf_counter() - t0)
            browser.close()
    finally:
        server.terminate()
        server.wait()
    print(json.dumps({"serve_to_first_answer_s": round(first_answer, 2),
                      "browser_answer_s_median": round(statistics.median(times), 3),
                      "browser_answer_s_max": round(max(times), 3), "questions": len(times)}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
