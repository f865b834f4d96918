"""The chat page: its layout and how its parts are wired to the app's handlers (qa.app), its style, its
scripts, its example questions."""

from __future__ import annotations

import gradio as gr

from qa.app import DOCUMENT_COLUMNS, QAApp
from qa.conversation import was_followup
from qa.documents import SUFFIXES
from qa.search import MODES
from qa.uploads import MAX_FILE_BYTES, MAX_FILES_PER_UPLOAD

EXAMPLES = [
    "What rating did the North West ROCU receive?",
    "How many years in prison have TITAN investigations produced?",
    "Who is the Police and Crime Commissioner for Cheshire?",
    "What does the Wiltshire PCC see as a barrier to the ROCU network's progress?",
]

# One line on what each retrieval mode does, for the settings (a mode's name alone says little).
MODE_HELP = (
    "hybrid: meaning and words together, the best on every question set measured; dense: meaning only "
    "(finds paraphrases, can miss exact names and numbers); keyword: the words only (BM25)"
)

CSS = """
#doc-view .doc-body { max-height: 560px; overflow-y: auto; line-height: 1.5; padding-right: .5em; position: relative; }
#doc-view .doc-title { font-weight: 600; font-size: 1.05em; }
#doc-view .doc-id { color: var(--body-text-color-subdued); margin-bottom: .6em; font-family: monospace; }
mark.passage { background: #fff3b0; color: inherit; }
#doc-view .page-mark { font-size: .75em; color: var(--body-text-color-subdued); border: 1px solid currentColor;
  border-radius: 3px; padding: 0 .3em; margin-right: .4em; }
mark.answer, .passage mark { background: #ffd54f; color: inherit; font-weight: 600; }
details summary { cursor: pointer; }
#doc-view a.back { font-size: .85em; }
"""

# Once a cited document is shown: bring its panel into view (below the citations it may start under
# the fold), then scroll the document itself to the highlighted passage.
SCROLL_JS = """() => { setTimeout(() => {
  const view = document.querySelector('#doc-view');
  const mark = document.querySelector('#doc-view mark.passage');
  if (view && mark) {
    const top = view.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.5) window.scrollBy(0, top - 8);
  }
  const box = mark && mark.closest('.doc-body');
  if (box) box.scrollTop = Math.max(0, mark.offsetTop - 40);
}, 50); }"""


# Put the newest reply's first line at the top of the chat's view.
REPLY_JS = """() => { setTimeout(() => {
  const rows = document.querySelectorAll('#chat .message-row');
  const last = rows[rows.length - 1];
  const box = last && last.closest('.bubble-wrap, [role="log"]');
  if (box) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
}, 60); }"""


# A citation marker after the answer ("[1]") opens that citation's passage, as choosing it under "Open a
# cited document" does. Only the newest reply's markers: the choices are those of the newest answer.
CITE_JS = """() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('#chat a[href^="#cite-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const rows = document.querySelectorAll('#chat .message-row');
    if (!rows.length || !rows[rows.length - 1].contains(link)) return;
    const n = parseInt(link.getAttribute('href').slice('#cite-'.length), 10);
    const choice = document.querySelectorAll('#citations input[type=radio]')[n - 1];
    if (choice) choice.click();
  }, true);
}"""


def page(app: QAApp, delete_cache: tuple[int, int] | None = None) -> gr.Blocks:
    """The page over `app`: the chat and the cited document side by side; settings, documents and
    uploads folded below. Only /ask and /documents are public; every other handler is private.
    `delete_cache` is Gradio's (every N seconds, delete the uploads older than M)."""
    private = {"api_visibility": "private"}
    with gr.Blocks(title="Document QA", analytics_enabled=False, delete_cache=delete_cache) as demo:
        gr.Markdown("## Ask the documents\nAnswers are sentences quoted from the documents, with their sources.")
        earlier = gr.State([])
        last = gr.State(None)
        job = gr.State(None)  # this page's last upload, followed until it reports
        with gr.Row():
            with gr.Column(scale=3):
                # No scrolling to the bottom after a reply: the reply's top, its answer, is put in view
                # (REPLY_JS), not its last citations.
                chat = gr.Chatbot(
                    elem_id="chat", height=520, label="Conversation", group_consecutive_messages=False, autoscroll=False
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="Ask a question about the documents…", show_label=False, scale=5,
                        elem_id="question", max_length=app.settings.max_question_chars,
                    )  # fmt: skip
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                each = gr.Checkbox(
                    False, label="By document: every document's answer side by side (on by itself for "
                    "questions with 'each', 'every', 'compare', 'all the ...')", elem_id="by-document",
                )  # fmt: skip
                examples = gr.Examples(EXAMPLES, inputs=box, label="Examples", **private)
                with gr.Row():
                    # Shown after a reply searched with the question before it: one click undoes that.
                    alone = gr.Button("Ask on its own", elem_id="alone", size="sm", visible=False)
                    new = gr.Button("Clear", elem_id="clear", size="sm")
            with gr.Column(scale=2):
                citations = gr.Radio(choices=[], label="Open a cited document", elem_id="citations")
                view = gr.HTML(app.show_document(None, None), elem_id="doc-view")
        with gr.Accordion("Settings", open=False):
            k = gr.Slider(1, 10, value=app.settings.k, step=1, label="Passages to show",
                          info="how many cited passages a reply lists under its answer")  # fmt: skip
            mode = gr.Radio(list(MODES), value=app.settings.mode, label="Retrieval mode", info=MODE_HELP)
        with gr.Accordion("Documents", open=False, elem_id="documents"):
            table = gr.Dataframe(
                app.documents_table(), headers=list(DOCUMENT_COLUMNS), interactive=False, wrap=True,
                elem_id="documents-table", label="What the index holds",
            )  # fmt: skip
            only = gr.Dropdown(
                app.document_choices(), multiselect=True, label="Search only these documents (empty: all)",
                elem_id="only",
            )  # fmt: skip
            yours = gr.CheckboxGroup(
                app.upload_choices(), label="Your documents", elem_id="yours",
                info="the files you added (under Add documents); only these can be removed here",
            )  # fmt: skip
            remove = gr.Button("Remove the chosen documents", elem_id="remove", size="sm")
            removed = gr.Markdown(elem_id="documents-status")
        with gr.Accordion("Add documents", open=False):
            gr.Markdown(
                f"Formats: {', '.join(SUFFIXES)}; up to {MAX_FILES_PER_UPLOAD} files at a time, "
                f"{MAX_FILE_BYTES // 2**20} MB each. They are indexed one upload at a time, in the order they "
                "come, while questions go on being answered. The seed documents are never changed."
            )
            upload = gr.File(file_count="multiple", file_types=list(SUFFIXES), elem_id="upload", label="Files")
            status = gr.Markdown(elem_id="upload-status")

        outputs = [chat, earlier, citations, last, box]
        # An example asks when it is clicked, as if typed and sent.
        for event in (box.submit, send.click, examples.load_input_event.then):
            event(app.respond, [box, chat, earlier, k, only, mode, each], outputs, **private).then(
                None, js=REPLY_JS
            ).then(lambda e: gr.update(visible=was_followup(e)), earlier, alone, **private)
        alone.click(app.ask_alone, [chat, earlier, k, only, mode], outputs, **private).then(None, js=REPLY_JS).then(
            lambda: gr.update(visible=False), None, alone, **private
        )
        new.click(
            lambda: ([], [], gr.update(choices=[], value=None), None, app.show_document(None, None),
                     gr.update(visible=False)),
            None, [chat, earlier, citations, last, view, alone], **private,
        )  # fmt: skip
        citations.change(app.show_document, [citations, last], view, **private).then(None, js=SCROLL_JS)
        # The upload is queued at once and followed until done: no request holds the indexing.
        # The file box is emptied once its files are queued: the next upload sends only its own files.
        upload.upload(app.queue_upload, upload, [status, job], **private).then(
            lambda: None, None, upload, **private
        ).then(app.follow_upload, job, [status, only, yours], concurrency_limit=None, **private).then(
            app.documents_table, None, table, **private
        )
        remove.click(app.remove_uploads, yours, [removed, only, yours], **private).then(
            app.documents_table, None, table, **private
        )
        # The chat's own trash icon clears the conversation too, not only the messages on screen:
        # the next question is not taken as a follow-up of a forgotten one.
        chat.clear(lambda: ([], gr.update(choices=[], value=None), None), None, [earlier, citations, last], **private)
        demo.load(None, js=CITE_JS, **private)
        gr.api(app.ask_api, api_name="ask")
        gr.api(app.documents_api, api_name="documents")
    return demo
