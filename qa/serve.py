"""Starting the chat app: the index it serves (built or synced first), its theme, the server."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import gradio as gr

from qa.app import QAApp
from qa.build import build_index
from qa.errors import QAError
from qa.index import Index
from qa.login import Login
from qa.page import CSS, page
from qa.settings import Settings
from qa.storage import is_loadable_format
from qa.uploads import MAX_FILE_BYTES, UPLOADS

log = logging.getLogger(__name__)


def load_index(index_name: str, settings: Settings, docs: str | None = None, show_progress: bool = True) -> Index:
    """The index the app serves, with the user's uploads in it.

    An index that is missing, or that an older version of the product wrote, is built from its
    documents when they are known (`docs`). The uploads folder is synced into the index's "uploads"
    collection: a file saved there by an upload that was cut short is indexed now, not left behind.
    """
    path = settings.index_path(index_name)
    if docs and not is_loadable_format(path):
        log.warning("building the index at %s from %s", path, docs)
        build_index(docs, index_name, settings, show_progress=show_progress)
    folder = Path(settings.uploads_dir)
    if folder.is_dir() and any(folder.iterdir()):
        try:
            build_index(folder, index_name, settings, show_progress=show_progress, collection=UPLOADS)
        except QAError as exc:  # the uploads are the user's: never a reason not to start
            log.warning("uploads in %s not indexed: %s", folder, exc)
    return Index.load(path, batch_size=settings.batch_size)


def theme() -> gr.themes.Base:
    # Local fonts only: the default theme fetches web fonts, which an offline machine cannot.
    return gr.themes.Default(
        font=["system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )


def launch(app: QAApp, host: str, port: int, auth: Login | None, **kwargs) -> None:
    # Gradio keeps uploaded files in its temporary folder: the app's own (hidden, so never synced as a
    # document), and each file is deleted once the upload is processed.
    incoming = Path(app.settings.uploads_dir).resolve() / ".incoming"
    shutil.rmtree(incoming, ignore_errors=True)  # what an earlier run left: nothing is in progress yet
    os.environ.setdefault("GRADIO_TEMP_DIR", str(incoming))
    page(app).queue(default_concurrency_limit=2).launch(
        server_name=host,
        server_port=port,
        auth=auth,
        share=False,  # never a public link unless the code is changed on purpose
        quiet=True,  # Gradio would print an invitation to share=True; `qa serve` prints its own address
        max_file_size=MAX_FILE_BYTES,
        css=CSS,
        theme=theme(),
        footer_links=["api"],
        **kwargs,
    )
