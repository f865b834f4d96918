"""Load on loopback: N concurrent clients asking through /ask for a while, then the same while documents
are uploaded through the page, then the same while another process adds documents with `qa add`.

    .venv/bin/python benchmarks/load.py [--clients 20] [--seconds 60] [--uploaders 2] [--json OUT.json]

`qa serve` runs on a free loopback port over a copy of the seeds index in a temporary folder. Each client
is a gradio_client.Client asking seed questions in a loop. Uploaders are pages in Debian's chromium
(Playwright), each uploading a small document and waiting for its "Added" report, again and again: the
app's upload queue under load. Reports answers per second, latency percentiles, failed requests, the
uploads' times from choosing the file to the report, and the server's resident memory. Bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.evaluation.metrics import percentile  # noqa: E402

QA = Path(sys.executable).parent / "qa"
QUESTIONS = [
    json.loads(line)["question"] for line in (ROOT / "seeds" / "questions.jsonl").read_text().splitlines() if line
]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _phase(url: str, clients: int, seconds: float) -> dict:
    from gradio_client import Client

    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        c = Client(url, verbose=False)
        i = n
        while time.monotonic() < stop:
            question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            started = time.perf_counter()
            error = None
            try:
                if not c.predict(question, 5, api_name="/ask").get("hits"):
                    error = "an answer without hits"
            except Exception as exc:  # every kind of failure counts, and is kept for the report
                error = f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - started
            with lock:
                if error is None:
                    latencies.append(elapsed)
                else:
                    failures.append(error)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "answers": len(latencies),
        "answers_per_s": round(len(latencies) / seconds, 1),
        "p50_s": round(percentile(latencies, 50), 3) if latencies else None,
        "p95_s": round(percentile(latencies, 95), 3) if latencies else None,
        "p99_s": round(percentile(latencies, 99), 3) if latencies else None,
        "failed": len(failures),
        "failures": sorted(set(failures))[:5],
    }


def _uploader(
    url: str, folder: Path, name: str, stop: threading.Event, times: list[float], failures: list[str]
) -> None:
    """One page uploading a new small document at a time until `stop`, each timed to its "Added" report."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page()
        page.goto(url)
        page.get_by_text("Add documents", exact=True).click()
        n = 0
        while not stop.is_set():
            doc = folder / f"{name}-{n}.txt"
            doc.write_text(f"Pond survey {name} {n}\n\nThe survey of pond {n} counted {n * 7 + 3} newts in the spring.")
            started = time.perf_counter()
            try:
                page.locator("#upload input[type=file]").set_input_files([str(doc)])
                expect(page.locator("#upload-status")).to_contain_text(f"Added {doc.name}", timeout=300_000)
                times.append(time.perf_counter() - started)
            except Exception as exc:  # kept for the report, like a failed question
                failures.append(f"{doc.name}: {type(exc).__name__}")
            n += 1
        browser.close()


def _with_uploads(url: str, home: Path, clients: int, seconds: float, uploaders: int) -> dict:
    stop, times, failures = threading.Event(), [], []
    folder = home / "to-upload"
    folder.mkdir(exist_ok=True)
    pages = [threading.Thread(target=_uploader, args=(url, folder, f"page{n}", stop, times, failures))
             for n in range(uploaders)]  # fmt: skip
    for t in pages:
        t.start()
    out = _phase(url, clients, seconds)
    stop.set()
    for t in pages:
        t.join()
    out["uploads"] = {
        "added": len(times),
        "failed": len(failures),
        "failures": failures[:5],
        "p50_s": round(percentile(times, 50), 2) if times else None,
        "max_s": round(max(times), 2) if times else None,
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--uploaders", type=int, default=2, help="pages uploading at the same time")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--server-log", type=Path, help="keep the server's log here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = {**os.environ, "QA_INDEX_ROOT": str(home / "index"), "QA_UPLOADS_DIR": str(home / "uploads")}
        port = _free_port()
        log = (home / "serve.log").open("w")
        server = subprocess.Popen([QA, "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + 240
            while True:
                try:
                    import urllib.request

                    urllib.request.urlopen(url, timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit(f"the app did not start: {(home / 'serve.log').read_text()[-2000:]}") from None
                    time.sleep(0.5)
            out = {"clients": args.clients, "seconds": args.seconds, "rss_mb_start": round(_rss_mb(server.pid))}
            out["asking"] = _phase(url, args.clients, args.seconds)
            out["rss_mb_after_asking"] = round(_rss_mb(server.pid))
            out["asking_while_uploading"] = _with_uploads(url, home, args.clients, args.seconds, args.uploaders)
            out["rss_mb_after_uploading"] = round(_rss_mb(server.pid))
            # The same, while another process adds a document to the served index every few seconds.
            stop = threading.Event()
            added: list[float] = []

            def writer() -> None:
                n = 0
                while not stop.is_set():
                    doc = home / "incoming" / f"note-{n}.txt"
                    doc.parent.mkdir(exist_ok=True)
                    doc.write_text(f"Note {n}\n\nThe survey of pond {n} counted {n * 7 + 3} newts in the spring.")
                    started = time.perf_counter()
                    subprocess.run([QA, "add", str(doc), "--index", "seeds", "-q"], cwd=ROOT, env=env,
                                   capture_output=True, check=True)  # fmt: skip
                    added.append(time.perf_counter() - started)
                    n += 1

            thread = threading.Thread(target=writer)
            thread.start()
            out["asking_while_adding"] = _phase(url, args.clients, args.seconds)
            stop.set()
            thread.join()
            out["documents_added_meanwhile"] = len(added)
            out["rss_mb_end"] = round(_rss_mb(server.pid))
            lines = (home / "serve.log").read_text().splitlines()
            out["tracebacks_in_server_log"] = sum("Traceback" in line for line in lines)
            # What each traceback ended with: the exception, for the report.
            out["exceptions_in_server_log"] = sorted(
                {line for line in lines if re.match(r"^[\w.]+(Error|Exception)\b", line)}
            )[:5]
        finally:
            server.terminate()
            server.wait(timeout=30)
            if args.server_log:
                shutil.copyfile(home / "serve.log", args.server_log)
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
