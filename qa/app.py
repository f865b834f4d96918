"""The chat app: a thin Gradio layer over the library. Handlers are plain methods tests can call."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path

# Offline means offline: no usage analytics, no version check (read by Gradio when it is imported).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from qa.answers import answer, check_k, check_question
from qa.build import remove_documents
from qa.compare import asks_across, by_document
from qa.conversation import contextualize
from qa.errors import QAError
from qa.index import Index
from qa.intake import Intake, Job
from qa.records import Answer
from qa.render import by_document_markdown, document_html, plural, reply_markdown, scope_line, short_title, text
from qa.search import MODES
from qa.settings import Settings
from qa.storage import listing
from qa.uploads import QUEUED, UPLOADS, add_uploads

log = logging.getLogger(__name__)


def _gradio_cache() -> Path:
    """Where Gradio keeps the files it receives (its GRADIO_TEMP_DIR, which `launch` sets)."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()


# The documents panel: each column's header beside what its cells show, so the two change together.
DOCUMENT_COLUMNS = {
    "Title": lambda row: short_title(row["title"]),
    "File": lambda row: row["id"],
    "Collection": lambda row: row["collection"],
    "Passages": lambda row: row["passages"],
    "Dated": lambda row: row.get("date") or "—",  # the date the file declares, never one guessed
    "Added": lambda row: (row.get("indexed_at") or "")[:10],
}


class QAApp:
    """The app's state (the index, the settings) and its handlers."""

    def __init__(self, index: Index, settings: Settings = Settings()):
        self._index = index
        self.settings = settings
        self.intake = Intake(self._process_upload, self._unstage)

    @property
    def index(self) -> Index:
        """The index as last committed: a change made meanwhile (`qa add`, an upload) is read in."""
        self._index = self._index.refreshed()
        return self._index

    # -- handlers --------------------------------------------------------------------------------

    def document_choices(self) -> list[tuple[str, str]]:
        return [(f"{e['title']} ({doc_id})", doc_id) for doc_id, e in self.index.manifest["documents"].items()]

    def ask(self, question: str, earlier: list[str], k: int, only: list[str] | None, mode: str) -> tuple[Answer, str]:
        """The answer to `question` in this conversation, and the text that was searched."""
        question = check_question(question, self.settings)
        searched = contextualize(question, earlier)
        result = answer(question, self.index, check_k(k, self.settings.k), mode, only or None, self.settings,
                        search_text=searched)  # fmt: skip
        return result, searched

    def compare(self, question: str, only: list[str] | None, mode: str) -> tuple[Answer, list]:
        """Each document's answer to `question` (qa.compare), and an Answer whose hits are theirs, so that
        citations open as usual."""
        results = by_document(question, self.index, mode, only or None, self.settings)
        said = [r for r in results if r.answers]
        hits = [replace(r.hit, rank=rank) for rank, r in enumerate(said, start=1)]
        confidence = max((r.confidence for r in said), default=0.0)
        return Answer(question=question.strip(), hits=hits, abstained=not hits, confidence=confidence), results

    def _scope(self, only: list[str] | None) -> list[str]:
        index = self.index
        titles = [index.title(d) for d in (only or []) if d in index.documents]
        return scope_line(titles, len(index.documents))

    def respond(
        self,
        message: str,
        history: list,
        earlier: list[str],
        k: int = 5,
        only=None,
        mode: str | None = None,
        each: bool = False,
    ):
        """Chat handler: the new history, the conversation's questions, citation choices, the last answer.

        With `each` (the "By document" toggle), or for a question that asks across documents ("each",
        "compare", "all the commissioners"), the reply gives every document's answer side by side.
        """
        history = list(history or [])
        mode = mode or self.settings.mode
        try:
            if each or asks_across(message or ""):
                answer, results = self.compare(check_question(message, self.settings), only, mode)
                reply = by_document_markdown(results, self._scope(only))
            else:
                answer, searched = self.ask(message, earlier or [], k, only, mode)
                reply = reply_markdown(answer, searched, self._scope(only))
        except QAError as exc:
            history += [
                {"role": "user", "content": text(message or "")},
                {"role": "assistant", "content": f"⚠️ {text(str(exc))}"},
            ]
            return history, earlier, gr.update(choices=[], value=None), None, ""
        history += [
            {"role": "user", "content": text(message.strip())},
            {"role": "assistant", "content": reply},
        ]
        choices = [
            (f"{h.rank}. {short_title(h.title)} — {h.passage.doc_id}, {h.location}", str(i))
            for i, h in enumerate(answer.hits)
        ]
        return history, [*(earlier or []), message.strip()], gr.update(choices=choices, value=None), answer, ""

    def ask_alone(self, history: list, earlier: list[str], k: int = 5, only=None, mode: str | None = None):
        """ "Ask on its own": the last question again, searched without the ones before it (the rule took it
        for a follow-up, the user says it is not). The conversation's questions stay as they were."""
        if not earlier:
            return history, earlier, gr.update(), None, ""
        history, _, citations, answer, box = self.respond(earlier[-1], history, [], k, only, mode)
        return history, earlier, citations, answer, box

    def show_document(self, choice: str | None, answer: Answer | None) -> str:
        """The cited document in full, scrolled to (and highlighting) the chosen passage."""
        if choice is None or answer is None or not answer.hits:
            return '<div class="doc-empty">Choose a citation to read it in its document.</div>'
        hit = answer.hits[int(choice)]
        doc = self.index.documents.get(hit.passage.doc_id)
        if doc is None:
            return '<div class="doc-empty">That document has been removed from the index since.</div>'
        return document_html(doc, hit)

    def add_documents(self, files: list[str] | None):
        """Upload handler for callers that wait (tests, scripts): queue the files, return the report."""
        status, job_id = self.queue_upload(files)
        if job_id is None:
            return status, gr.update()
        *_, (status, choices, _) = self.follow_upload(job_id)
        return status, choices

    def queue_upload(self, files: list[str] | None):
        """Upload handler: put the files in line for the upload worker and say where they are in it. The
        request returns at once; `follow_upload` reports when the job is done."""
        # A file box that still shows files it sent before sends them again: those were processed (and
        # their copies deleted) already, so only files that are still there are new.
        paths = [Path(f) for f in files or [] if Path(f).is_file()]
        if not paths:
            return "No new files received: choose the files to add.", None
        job = self.intake.submit(self._stage(paths))
        return self._progress(job), job.id

    def follow_upload(self, job_id: int | None):
        """The job's progress until it is done, then its report and the document lists it changed."""
        job = self.intake.job(job_id)
        if job is None:
            yield gr.update(), gr.update(), gr.update()
            return
        said = None
        while not job.wait(0.5):
            if (now := self._progress(job)) != said:
                said = now
                yield now, gr.update(), gr.update()
        yield (
            "\n\n".join(job.lines),
            gr.update(choices=self.document_choices()),
            gr.update(choices=self.upload_choices()),
        )

    def _progress(self, job: Job) -> str:
        names = ", ".join(text(n) for n in job.names)
        if job.finished.is_set():
            return "\n\n".join(job.lines)
        if job.state == "indexing":
            return f"Indexing {names}… (a long PDF takes a minute or more)"
        ahead = self.intake.ahead(job)
        return f"Queued {names}: " + (f"{plural(ahead, 'upload')} ahead." if ahead else "next in line.")

    def _process_upload(self, paths: list[Path]) -> list[str]:
        return add_uploads(paths, Path(self.settings.uploads_dir), self._index.path.name, self._index_settings())

    def _stage(self, paths: list[Path]) -> list[Path]:
        """Gradio's copies of the files moved into the upload queue's own folder (uploads/.queued), where
        Gradio's cache cleaning cannot delete them while they wait; other paths are the caller's."""
        cache, staged = _gradio_cache(), []
        batch = Path(self.settings.uploads_dir) / QUEUED / uuid.uuid4().hex
        for n, path in enumerate(paths):
            if path.resolve().is_relative_to(cache):
                target = batch / str(n) / path.name  # one folder a file: two uploads may share a name
                target.parent.mkdir(parents=True)
                path = Path(shutil.move(path, target))
            staged.append(path)
        return staged

    def _unstage(self, paths: list[Path]) -> None:
        """After an upload is processed: its queued files go (what was kept is in the uploads folder)."""
        queued = (Path(self.settings.uploads_dir) / QUEUED).resolve()
        for path in paths:
            if path.resolve().is_relative_to(queued):
                shutil.rmtree(path.resolve().parents[1], ignore_errors=True)

    def upload_choices(self) -> list[tuple[str, str]]:
        """The user's own documents (the uploads collection): only these can be removed from the app."""
        entries = self.index.manifest["documents"].items()
        return [(f"{e['title']} ({doc_id})", doc_id) for doc_id, e in entries if e["collection"] == UPLOADS]

    def remove_uploads(self, doc_ids: list[str] | None):
        """Remove some of the user's own documents from the index and from the uploads folder."""
        if not doc_ids:
            return "Choose documents to remove first.", gr.update(), gr.update()
        theirs = {d for _, d in self.upload_choices()}
        refused = [d for d in doc_ids if d not in theirs]
        if refused:
            return f"⚠️ Only your own uploads can be removed here, not {text(refused[0])}.", gr.update(), gr.update()
        with self.intake.lock:  # after an upload being indexed, not during it
            try:
                report = remove_documents(doc_ids, self._index.path.name, self._index_settings())
            except QAError as exc:
                return f"⚠️ {text(str(exc))}", gr.update(), gr.update()
            folder = Path(self.settings.uploads_dir)
            for doc_id in report.removed:  # the file goes too: a restart would add it back
                (folder / doc_id.removeprefix(f"{UPLOADS}/")).unlink(missing_ok=True)
        done = f"Removed {', '.join(text(d) for d in report.removed)}: the index now holds {plural(report.documents, 'document')}."
        return (
            done,
            gr.update(choices=self.document_choices(), value=None),
            gr.update(choices=self.upload_choices(), value=[]),
        )

    def _index_settings(self) -> Settings:
        return self.settings.with_(index_root=str(self._index.path.parent))

    def ask_api(
        self, question: str, k: int = 5, mode: str | None = None, documents: list[str] | None = None,
        by_document: bool = False,
    ) -> dict:  # fmt: skip
        """`/ask`: the answer and its citations as JSON; `documents` restricts the search to those ids,
        `by_document` gives each document's answer (`documents_answers`)."""
        try:
            if mode is not None and mode not in MODES:
                raise QAError(f"unknown retrieval mode {mode!r}: choose one of {', '.join(MODES)}")
            if documents is not None and (
                not isinstance(documents, list) or not all(isinstance(d, str) for d in documents)
            ):
                raise QAError("documents must be a list of document ids (see /documents)")
            if by_document:
                answer, results = self.compare(
                    check_question(question, self.settings), documents, mode or self.settings.mode
                )
                return {**answer.to_dict(), "documents_answers": [r.to_dict() for r in results]}
            answer, _ = self.ask(question, [], k, documents, mode or self.settings.mode)
        except QAError as exc:
            raise gr.Error(str(exc)) from exc
        return answer.to_dict()

    def documents_table(self) -> list[list]:
        """The documents panel's rows (columns DOCUMENT_COLUMNS): what the index holds, for a reader."""
        return [[cell(row) for cell in DOCUMENT_COLUMNS.values()] for row in listing(self.index.manifest)]

    def documents_api(self) -> list[dict]:
        """`/documents`: what the index holds (id, collection, title, passages, pages, date, indexed_at)."""
        return listing(self.index.manifest)
