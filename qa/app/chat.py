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

from qa.answering.answers import answer as qa_answer
from qa.answering.answers import check_k, check_question
from qa.answering.compare import asks_across, by_document
from qa.answering.conversation import Turn, ask
from qa.answering.search import MODES
from qa.answering.verdict import load_reader_scorers
from qa.app.document_view import EMPTY, document_html
from qa.app.intake import Intake, Job
from qa.app.panel import Panel
from qa.app.render import by_document_markdown, plural, reply_markdown, scope_line, short_title, text
from qa.app.uploads import QUEUED, UPLOADS, add_uploads
from qa.errors import QAError
from qa.indexing.build import remove_documents
from qa.records import Answer
from qa.settings import Settings
from qa.store.base import Store, listing

log = logging.getLogger(__name__)


def _gradio_cache() -> Path:
    """Where Gradio keeps the files it receives (its GRADIO_TEMP_DIR, which `launch` sets)."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()


class QAApp(Panel):
    """The app's state (the index, the settings, the document filter) and its handlers.

    What the page shows of the index (its documents, the uploads, the filter: qa.app.panel) is the
    server's: every tab, and a tab reloaded, shows the same. A conversation is its tab's own: its turns
    and the answer of each reply, so that the citations of every reply open their own passages.
    """

    def __init__(self, index: Store, settings: Settings = Settings()):
        self._index = index
        self.settings = settings
        self.intake = Intake(self._process_upload, self._unstage)
        self.only: list[str] = []  # the documents searched (none chosen: all of them)
        self._titles: dict[tuple[str, str], str] = {}

    @property
    def index(self) -> Store:
        """The index as last committed: a change made meanwhile (`qa add`, an upload) is read in."""
        self._index = self._index.refreshed()
        return self._index

    # -- the conversation ----------------------------------------------------------------------------

    def compare(self, question: str, only: list[str] | None, mode: str) -> tuple[Answer, list]:
        """Each document's answer to `question` (qa.answering.compare), and an Answer whose hits are theirs, so that
        citations open as usual."""
        results = by_document(question, self.index, mode, only or None, self.settings)
        said = [r for r in results if r.answers]
        hits = [replace(r.hit, rank=rank) for rank, r in enumerate(said, start=1)]
        confidence = max((r.confidence for r in said), default=0.0)
        # "high" means what it means for a single answer: the reader's calibrated threshold.
        verdict = load_reader_scorers() if self.settings.reader != "none" else None
        high = verdict.high if verdict else Answer.high
        answer = Answer(question=question.strip(), hits=hits, abstained=not hits, confidence=confidence, high=high)
        return answer, results

    def _scope(self, only: list[str] | None) -> list[str]:
        titles = [self.title(d) for d in (only or []) if d in self.index.documents]
        return scope_line(titles, len(self.index.documents))

    def respond(
        self,
        message: str,
        history: list,
        turns: list[Turn] | None = None,
        answers: list | None = None,
        k: int = 5,
        mode: str | None = None,
        each: bool = False,
        only: list[str] | None = None,
    ):
        """Chat handler: the new history, the conversation's turns, each reply's answer (None for a
        refusal), and what the question box keeps (nothing, or a refused question to correct).

        `only` defaults to the server's filter (`set_filter`). With `each` (the "By document" switch), or
        for a question that names what it compares ("compare", "each document"), the reply gives every
        document's answer side by side.
        """
        history, turns, answers = list(history or []), list(turns or []), list(answers or [])
        mode = mode or self.settings.mode
        only = self.searched() if only is None else only
        reply = len(answers)
        try:
            question = check_question(message, self.settings)
            index = self.index
            titles = [e["title"] for e in index.manifest["documents"].values()]
            across = "the By document switch is on" if each else asks_across(question, titles, index.abbreviations)
            if across:
                answer, results = self.compare(question, only, mode)
                why = across if each else f"you asked “{across}”"
                content = by_document_markdown(results, answer, reply, why, self._scope(only), self.title)
                turn = Turn(question, question)
            else:
                k = check_k(k, self.settings.k)
                answer, turn = ask(question, turns, self.index, k, mode, only or None, self.settings)
                content = reply_markdown(answer, reply, turn.searched, self._scope(only), self.hit_title)
        except QAError as exc:
            # The refused question stays whole in the box to correct; its bubble only needs to say which it was.
            said = " ".join((message or "").split())
            history += [
                {"role": "user", "content": text(short_title(said, 200)) if said else "*(an empty question)*"},
                {"role": "assistant", "content": f"⚠️ {text(str(exc))}"},
            ]
            return history, turns, [*answers, None], message or ""
        history += [
            {"role": "user", "content": text(question)},
            {"role": "assistant", "content": content},
        ]
        return history, [*turns, turn], [*answers, answer], ""

    def ask_alone(self, target: str, history: list, turns: list, answers: list, k: int = 5, mode: str | None = None):
        """ "Ask on its own" (the link beside a reply searched with the conversation, "alone-R"): reply R's
        question again, searched alone, as a new reply. The conversation's turns stay as they were."""
        answer = _reply(answers, _target(target).removeprefix("alone-"))
        if answer is None:
            return history, turns, answers
        history, _, answers, _ = self.respond(answer.question, history, [], answers, k, mode)
        return history, turns, answers

    def open_citation(self, target: str | None, answers: list | None) -> str:
        """The document of citation "cite-R-N" (reply R, citation N), scrolled to its highlighted passage;
        "page-R-N-P": the same document at PDF page P (the view's previous and next page links)."""
        kind, _, rest = _target(target).partition("-")
        reply, number, page = (rest.split("-") + ["", ""])[:3]
        answer = _reply(answers, reply)
        if kind not in ("cite", "page") or answer is None or not number.isdigit():
            return EMPTY
        if not 1 <= int(number) <= len(answer.hits):
            return EMPTY
        hit = answer.hits[int(number) - 1]
        doc = self.index.documents.get(hit.passage.doc_id)
        if doc is None:
            return '<div class="doc-empty">That document has been removed from the index since.</div>'
        shown = int(page) if kind == "page" and page.isdigit() else None
        return document_html(doc, hit, cited=f"{reply}-{number}", page=shown)

    # -- uploads ---------------------------------------------------------------------------------

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
            gr.update(choices=self.document_choices(), value=self.searched()),
            gr.update(choices=self.upload_choices(), value=[]),
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
        return add_uploads(paths, Path(self.settings.uploads_dir), self._index.name, self._index_settings())

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
                report = remove_documents(doc_ids, self._index.name, self._index_settings())
            except QAError as exc:
                return f"⚠️ {text(str(exc))}", gr.update(), gr.update()
            folder = Path(self.settings.uploads_dir)
            for doc_id in report.removed:  # the file goes too: a restart would add it back
                (folder / doc_id.removeprefix(f"{UPLOADS}/")).unlink(missing_ok=True)
        done = f"Removed {', '.join(text(d) for d in report.removed)}: the index now holds {plural(report.documents, 'document')}."
        return (
            done,
            gr.update(choices=self.document_choices(), value=self.searched()),
            gr.update(choices=self.upload_choices(), value=[]),
        )

    def _index_settings(self) -> Settings:
        if isinstance(self._index.path, Path):  # the local store: the index's own root, whatever the settings say
            return self.settings.with_(index_root=str(self._index.path.parent))
        return self.settings

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
            answer = qa_answer(question, self.index, k, mode or self.settings.mode, documents or None, self.settings)
        except QAError as exc:
            raise gr.Error(str(exc)) from exc
        return answer.to_dict()

    def documents_api(self) -> list[dict]:
        """`/documents`: what the index holds (id, collection, title, passages, pages, date, indexed_at)."""
        return listing(self.index.manifest)


def _reply(answers: list | None, number: str) -> Answer | None:
    """Reply `number`'s answer (None for a refusal, or a number the conversation does not have)."""
    answers = answers or []
    return answers[int(number)] if number.isdigit() and int(number) < len(answers) else None


def _target(value: str | None) -> str:
    """A link's target as the page sends it ("cite-2-1@7": the click's count after the @)."""
    return (value or "").partition("@")[0]
