"""Uploads processed off the request path: one worker indexes them, one upload at a time, in the order they
came; each upload is a job whose report waits for whoever asks (the page that sent it, or a test).

Why a worker and not the request: indexing a large PDF takes minutes, and two changes of one index wait
on each other anyway (its writer lock). A request that held the work would tie up one of Gradio's workers
and leave a second upload waiting on a lock with no word; here it returns at once with its place in line,
and the page follows the job until it reports.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

KEEP_REPORTS = 200  # finished jobs remembered for their pages; older reports are dropped


@dataclass
class Job:
    id: int
    paths: list[Path]
    state: str = "queued"  # queued -> indexing -> done
    lines: list[str] = field(default_factory=list)  # the report, once done
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.paths]

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)


class Intake:
    """A queue of uploads and the one thread that works through it.

    `process(paths)` does the work and returns the report's lines; `cleanup(paths)` runs after it whatever
    happened (the app deletes Gradio's copies of the files there). `lock` is held while a job runs, so
    that other changes of the same index (removing an upload) take turns with uploads.
    """

    def __init__(
        self,
        process: Callable[[list[Path]], list[str]],
        cleanup: Callable[[list[Path]], None] = lambda paths: None,
    ):
        self._process, self._cleanup = process, cleanup
        self.lock = threading.Lock()
        self._queue: queue.Queue[Job] = queue.Queue()
        self._jobs: OrderedDict[int, Job] = OrderedDict()
        self._ids = itertools.count(1)
        self._guard = threading.Lock()  # over _jobs: pages read it while the worker writes
        self._worker = threading.Thread(target=self._run, name="uploads", daemon=True)
        self._worker.start()

    def submit(self, paths: list[Path]) -> Job:
        job = Job(next(self._ids), list(paths))
        with self._guard:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_REPORTS and next(iter(self._jobs.values())).finished.is_set():
                self._jobs.popitem(last=False)
        self._queue.put(job)
        return job

    def job(self, job_id: int | None) -> Job | None:
        with self._guard:
            return self._jobs.get(job_id)  # type: ignore[arg-type]

    def ahead(self, job: Job) -> int:
        """How many uploads will be worked on before this one (the one being indexed included)."""
        with self._guard:
            return sum(1 for j in self._jobs.values() if j.id < job.id and not j.finished.is_set())

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                with self.lock:
                    job.state = "indexing"
                    job.lines = self._process(job.paths)
            except Exception as exc:  # a bug, not the user's doing: say so, and keep serving the next upload
                log.exception("upload %d failed", job.id)
                # No file names here: they are the uploader's text, and the page shows this line as Markdown.
                job.lines = [f"⚠️ The upload could not be added: an unexpected {type(exc).__name__} (details in "
                             "the server's log). Try again; report it if it happens again."]  # fmt: skip
            finally:
                try:
                    self._cleanup(job.paths)
                finally:
                    job.state = "done"
                    job.finished.set()
