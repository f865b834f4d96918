"""Load on loopback: N concurrent clients asking through /ask for a while, then the same while another
process keeps adding documents to the index the app serves.

    .venv/bin/python benchmarks/load.py [--clients 20] [--seconds 60] [--json OUT.json]

`qa serve` runs on a free loopback port over a copy of the seeds index in a temporary folder. Each client
is a gradio_client.Client asking seed questions in a loop. Reports answers per second, latency
percentiles, failed requests, and the server's resident memory before and after. Bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.metrics import percentile  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--json", type=Path)
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
            errors = [line for line in (home / "serve.log").read_text().splitlines() if "Traceback" in line]
            out["tracebacks_in_server_log"] = len(errors)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
