"""Starting the chat app: the index it serves (built or synced first), its theme, the server."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse

from qa.app.chat import QAApp
from qa.app.login import ClientAddress, Login
from qa.app.page import CSS, page
from qa.app.uploads import MAX_FILE_BYTES, MAX_FILES_PER_UPLOAD, QUEUED, UPLOADS
from qa.errors import QAError
from qa.indexing.build import build_index, remove_documents
from qa.settings import Settings
from qa.store import open_store, open_writer, store_kind
from qa.store.base import Store
from qa.store.local.storage import is_loadable_format
from qa.text.documents import find_files

log = logging.getLogger(__name__)

CACHE_AGE = 15 * 60  # seconds an upload nothing claimed stays in Gradio's folder


def load_index(index_name: str, settings: Settings, docs: str | None = None, show_progress: bool = True) -> Store:
    """The index the app serves, with the user's uploads in it.

    An index that is missing, or that an older version of the product wrote, is built from its
    documents when they are known (`docs`). The uploads folder is synced into the index's "uploads"
    collection: a file saved there by an upload that was cut short is indexed now, not left behind.
    """
    writer = open_writer(settings, index_name)
    if docs and not _loadable(settings, index_name):
        log.warning("building the index %s at %s from %s", index_name, writer.where, docs)
        build_index(docs, index_name, settings, show_progress=show_progress)
    folder = Path(settings.uploads_dir)
    try:
        present = find_files(folder) if folder.is_dir() else []
    except QAError:  # no documents in it (only the upload queue's hidden folders, say)
        present = []
    try:
        if present:
            build_index(folder, index_name, settings, show_progress=show_progress, collection=UPLOADS)
        elif writer.exists():
            # Every upload's file deleted while the app was stopped: a sync of the empty folder would
            # refuse ("no documents"), so remove them here, or they would be cited from files that are gone.
            entries = writer.manifest().get("documents", {})
            gone = [doc_id for doc_id, entry in entries.items() if entry.get("collection") == UPLOADS]
            if gone:
                remove_documents(gone, index_name, settings)
                log.warning("removed %d uploads whose files are no longer in %s", len(gone), folder)
    except QAError as exc:  # the uploads are the user's: never a reason not to start
        log.warning("uploads in %s not indexed: %s", folder, exc)
    return open_store(settings, index_name)


def _loadable(settings: Settings, name: str) -> bool:
    """Whether there is an index `name` this version reads (else: build it anew from its documents)."""
    if store_kind(settings.store)[0] == "local":
        return is_loadable_format(settings.index_path(name))
    try:
        open_writer(settings, name).manifest()
    except QAError:
        return False
    return True


def theme() -> gr.themes.Base:
    # Local fonts only: the default theme fetches web fonts, which an offline machine cannot.
    return gr.themes.Default(
        font=["system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )


# What Gradio's upload route may hold at once, waiting for the app: files arrive there before the app
# sees them (a client can post files and never ask the app to add them), so the app's own limits do not
# bound them. The page's uploads are moved out within a second; the rest is deleted after CACHE_AGE.
WAITING_FILES = 100
WAITING_BYTES = 40 * MAX_FILE_BYTES
# One upload request: as many files of the largest size as one upload may hold, with room for the form.
REQUEST_BYTES = MAX_FILES_PER_UPLOAD * MAX_FILE_BYTES + 2**20


class UploadGuard:
    """ASGI middleware in front of Gradio's upload route: refuses an upload that is too large for one
    request (413), gives no length (411), or arrives while too much is already waiting (429)."""

    def __init__(self, app, folder: Path):
        self.app, self.folder = app, folder

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].rstrip("/").endswith("/upload"):
            refusal = self.refusal(dict(scope["headers"]).get(b"content-length"))
            if refusal is not None:
                status, message = refusal
                log.warning("upload refused: %s", message)
                await PlainTextResponse(message, status_code=status)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, length: bytes | None) -> tuple[int, str] | None:
        if length is None or not length.isdigit():
            return 411, "an upload must say its length (Content-Length)"
        if int(length) > REQUEST_BYTES:
            return 413, f"an upload may hold at most {MAX_FILES_PER_UPLOAD} files of {MAX_FILE_BYTES // 2**20} MB"
        waiting = [p.stat().st_size for p in self.folder.rglob("*") if p.is_file()] if self.folder.is_dir() else []
        if len(waiting) >= WAITING_FILES or sum(waiting) >= WAITING_BYTES:
            return 429, "too many uploads are waiting to be processed: try again in a few minutes"
        return None


def launch(app: QAApp, host: str, port: int, auth: Login | None, **kwargs) -> None:
    # Gradio keeps uploaded files in its temporary folder: the app's own (hidden, so never synced as a
    # document). The page's uploads are moved out of it into the upload queue (qa.app.intake) at once;
    # what nothing claims is deleted after CACHE_AGE; the upload route is guarded (UploadGuard).
    folder = Path(app.settings.uploads_dir).resolve()
    incoming = folder / ".incoming"
    for leftover in (incoming, folder / QUEUED):  # what an earlier run left: nothing is in progress yet
        shutil.rmtree(leftover, ignore_errors=True)
    os.environ.setdefault("GRADIO_TEMP_DIR", str(incoming))
    page(app, delete_cache=(60, CACHE_AGE)).queue(default_concurrency_limit=2).launch(
        server_name=host,
        server_port=port,
        auth=auth,
        share=False,  # never a public link unless the code is changed on purpose
        quiet=True,  # Gradio would print an invitation to share=True; `qa serve` prints its own address
        # No max_file_size: Gradio's own refusal is a red "Error" on the drop zone and a corner toast in
        # "Mb". The route guard bounds a request; qa.app.uploads refuses a file over the limit in the panel.
        css=CSS,
        theme=theme(),
        footer_links=["api"],
        # Gradio does not tell a login check who asks: ClientAddress does (qa.app.login).
        app_kwargs={"middleware": [Middleware(UploadGuard, folder=incoming), Middleware(ClientAddress)]},
        **kwargs,
    )
