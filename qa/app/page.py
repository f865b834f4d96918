"""The chat page: its layout and how its parts are wired to the app's handlers (qa.app.chat), its style and
its scripts.

Laid out as cited-answer apps are: the conversation with its question box in the middle, the cited
document beside it (sticky, so opening a citation never moves the answer), and the documents, the
filter, uploads and settings in a side panel (open on a desktop, one tap away on a phone).
"""

from __future__ import annotations

import gradio as gr

from qa.answering.search import MODES
from qa.app.chat import QAApp
from qa.app.document_view import EMPTY
from qa.app.uploads import MAX_FILE_BYTES, MAX_FILES_PER_UPLOAD
from qa.text.documents import SUFFIXES

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
#chat .scroll-down-button-container, #chat button[aria-label="Clear"] { display: none; }
#panel-button { display: none; }
@media (max-width: 999px) { #panel-button { display: inline-flex; } }
/* The side panel: a chosen document is one line, cut with an ellipsis; long names wrap, never cut. */
#only .token { max-width: 100%; }
#only .token span { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#yours label, #yours span { white-space: normal; overflow-wrap: anywhere; }
/* A reply on a phone uses the screen's width; the start text keeps off the chat's border. */
@media (max-width: 600px) {
  #chat .message-wrap .message, #chat .bubble { max-width: 100% !important; }
  /* Shorter on a phone, so that the panel's button is on the first screen under the question box. */
  #chat { height: calc(100vh - 440px) !important; min-height: 300px !important; }
}
#chat .placeholder-content, #chat .placeholder { padding: 1em; }
.back-to-answer { display: none; }
@media (max-width: 999px) { .back-to-answer { display: inline-block; margin-bottom: .4em; } }
#doc-column { position: sticky; top: 8px; align-self: flex-start; }
#doc-view .doc-body { max-height: calc(100vh - 150px); overflow-y: auto; line-height: 1.5; padding-right: .5em;
  position: relative; }
#doc-view .doc-title { font-weight: 600; font-size: 1.05em; }
#doc-view .doc-id, .file { color: var(--body-text-color-subdued); font-size: .85em; }
#doc-view .doc-id { margin-bottom: .6em; }
mark.passage { background: #fff3b0; color: inherit; }
#doc-view .page-mark, #doc-view .para-mark { font-size: .75em; color: var(--body-text-color-subdued);
  border: 1px solid currentColor; border-radius: 3px; padding: 0 .3em; margin-right: .4em; }
mark.answer, .passage mark, .card mark { background: #ffd54f; color: inherit; }
.page-nav { display: flex; flex-wrap: wrap; gap: .3em .8em; align-items: center; font-size: .85em; margin-bottom: .3em; }
.page-nav .off { color: var(--body-text-color-subdued); opacity: .5; }
.page-nav .zoom { margin-left: auto; cursor: pointer; }
.page-scroll { overflow: auto; margin-bottom: .8em; }
.page-image { position: relative; border: 1px solid var(--border-color-primary); width: 100%; }
.page-nav:has(.zoom-toggle:checked) + .page-scroll .page-image { width: 200%; }
.page-image img { width: 100%; display: block; }
.page-image .highlight { position: absolute; background: rgba(255, 213, 79, .45); outline: 2px solid #f5a000;
  mix-blend-mode: multiply; }
.card { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: .4em .6em; margin: .4em 0; }
.card-passage { margin-top: .35em; }
.card a.cite, #chat a.cite { text-decoration: none; }
details summary { cursor: pointer; }
#scope { font-size: .9em; }
ul.documents { list-style: none; padding-left: 0; margin: 0; }
ul.documents li { margin-bottom: .45em; line-height: 1.3; }
.tag { font-size: .75em; border: 1px solid currentColor; border-radius: 3px; padding: 0 .3em; }
.hidden-target { display: none !important; }
code.block { display: block; white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: .9em; }
"""

# Removing uploads deletes their files: the browser asks first, naming them; nothing chosen goes straight
# through (the server says to choose some).
REMOVE_JS = """(chosen) => {
  const names = (chosen || []).join(', ');
  if (!names || confirm('Remove ' + names + ' from the index and delete the file' + (chosen.length > 1 ? 's' : '')
      + '? This cannot be undone.')) document.querySelector('#remove-confirmed').click();
  return [];
}"""

# How often a tab looks again at the filter, which is the server's and may be changed from another tab.
FILTER_REFRESH_S = 3

# After a reply: its question at the top of the chat's view, the answer's first lines under it.
REPLY_JS = """() => { setTimeout(() => {
  const rows = document.querySelectorAll('#chat .message-row');
  const question = rows[rows.length - 2];
  const box = question && question.closest('.bubble-wrap, [role="log"]');
  if (box) box.scrollTop += question.getBoundingClientRect().top - box.getBoundingClientRect().top - 4;
  const chat = document.querySelector('#chat');
  if (chat && chat.getBoundingClientRect().top < 0) chat.scrollIntoView();
}, 60); }"""

# Once a cited document is shown: its own panel scrolls to the highlight. On a desktop the panel is
# beside the chat and the page does not move; on a phone, where it is below the chat, it is brought up.
SCROLL_JS = """() => { setTimeout(() => {
  const view = document.querySelector('#doc-view');
  const mark = document.querySelector('#doc-view .page-image .highlight, #doc-view mark.passage');
  if (view && window.innerWidth < 1000) view.scrollIntoView();
  const box = mark && mark.closest('.doc-body');
  if (box) box.scrollTop = Math.max(0, mark.getBoundingClientRect().top - box.getBoundingClientRect().top
    + box.scrollTop - 60);
}, 80); }"""

# The side panel's own toggle is a small arrow at the screen's edge; on a phone a labelled button opens it.
PANEL_JS = "() => { const toggle = document.querySelector('#panel .toggle-button'); if (toggle) toggle.click(); }"

# A citation link in any reply ("#cite-R-N") opens that reply's citation N; "Ask on its own"
# ("#alone-R") asks reply R's question alone. The link's target goes to a hidden box whose input event
# the server handles; a count makes each click new, so the same citation opens again after another.
LINKS_JS = """() => {
  // The side panel starts open on a desktop, closed on a phone, where it would cover the chat.
  if (window.innerWidth < 1000) {
    const toggle = document.querySelector('#panel.open .toggle-button');
    if (toggle) toggle.click();
  }
  let clicks = 0;
  const send = (id, value) => {
    const box = document.querySelector('#' + id + ' textarea, #' + id + ' input');
    if (!box) return;
    Object.getOwnPropertyDescriptor(Object.getPrototypeOf(box), 'value').set.call(box, value + '@' + (++clicks));
    box.dispatchEvent(new Event('input', { bubbles: true }));
    for (const type of ['keydown', 'keypress']) {
      box.dispatchEvent(new KeyboardEvent(type, { key: 'Enter', code: 'Enter', keyCode: 13, bubbles: true }));
    }
  };
  document.addEventListener('click', (event) => {
    const link = event.target.closest
      && event.target.closest('#chat a[href^="#cite-"], #chat a[href^="#alone-"], #doc-view a[href^="#page-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const target = link.getAttribute('href').slice(1);
    send(target.startsWith('alone-') ? 'alone-target' : 'cite-target', target);
  }, true);
  // On a phone the filter's list covers the panel: a choice closes it (a desktop keeps it open for more).
  document.addEventListener('mousedown', (event) => {
    const option = event.target.closest && event.target.closest('#only [role="option"]');
    if (!option || window.innerWidth >= 1000) return;
    setTimeout(() => {
      const input = document.querySelector('#only input');
      if (!input) return;
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', code: 'Escape', keyCode: 27, bubbles: true }));
      input.blur();
    }, 150);
  }, true);
  // Gradio labels each message with its raw Markdown and HTML ("bot's message: > <strong>&#40;…"): a screen
  // reader would read the markup aloud. The label becomes the text the message shows.
  const chat = document.querySelector('#chat');
  let pending = false;
  const relabel = () => {
    pending = false;
    for (const message of chat.querySelectorAll('[aria-label]')) {
      const label = message.getAttribute('aria-label');
      if (!label.includes("'s message: ")) continue;
      const who = label.slice(0, label.indexOf("'s message: "));
      const want = who + "'s message: " + message.innerText.replace(/\\s+/g, ' ').trim();
      if (label !== want) message.setAttribute('aria-label', want);
    }
  };
  if (chat) new MutationObserver(() => { if (!pending) { pending = true; requestAnimationFrame(relabel); } })
    .observe(chat, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['aria-label'] });
}"""


def _example(evt: gr.SelectData) -> str:
    """The question of the example chosen on the start screen."""
    return evt.value["text"]


def page(app: QAApp, delete_cache: tuple[int, int] | None = None) -> gr.Blocks:
    """The page over `app`. Only /ask and /documents are public; every other handler is private.
    `delete_cache` is Gradio's (every N seconds, delete the uploads older than M)."""
    private = {"api_visibility": "private"}
    limit = app.settings.max_question_chars
    with gr.Blocks(title="Document QA", analytics_enabled=False, delete_cache=delete_cache) as demo:
        turns, answers = gr.State([]), gr.State([])  # this tab's conversation, and each reply's answer
        job = gr.State(None)  # this tab's last upload, followed until it reports
        with gr.Sidebar(label="Documents and settings", open=True, width=340, elem_id="panel"):
            only = gr.Dropdown(
                app.document_choices(), value=app.searched(), multiselect=True, elem_id="only",
                label="Search only these documents", info="leave it empty to search them all",
            )  # fmt: skip
            gr.Markdown("**Add documents**")
            upload = gr.File(file_count="multiple", elem_id="upload", label="Files", height=110)
            gr.Markdown(
                f"{', '.join(SUFFIXES)}; up to {MAX_FILES_PER_UPLOAD} files at a time, {MAX_FILE_BYTES // 2**20} MB "
                "each; indexed one upload at a time while questions go on being answered.",
                elem_classes="file",
            )
            status = gr.Markdown(elem_id="upload-status")
            gr.Markdown("**Documents**")
            table = gr.HTML(app.documents_html(), elem_id="documents-table")
            yours = gr.CheckboxGroup(
                app.upload_choices(), label="Your documents", elem_id="yours",
                info="the files you added; only these can be removed here",
            )  # fmt: skip
            remove = gr.Button("Remove the chosen documents", elem_id="remove", size="sm")
            # Clicked by REMOVE_JS once the person has confirmed: a removal deletes the files.
            confirmed = gr.Button("Remove", elem_id="remove-confirmed", elem_classes="hidden-target")
            removed = gr.Markdown(elem_id="documents-status")
            with gr.Accordion("Settings", open=False):
                k = gr.Slider(1, 10, value=app.settings.k, step=1, label="Passages to show",
                              info="how many cited passages a reply lists under its answer")  # fmt: skip
                mode = gr.Radio(list(MODES), value=app.settings.mode, label="Retrieval mode", info=MODE_HELP)
        gr.Markdown("## Ask the documents")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                # No scrolling to the bottom after a reply: the question and its answer are put in view
                # (REPLY_JS), not the reply's last sources.
                chat = gr.Chatbot(
                    elem_id="chat", height="calc(100vh - 330px)", min_height=320, show_label=False,
                    group_consecutive_messages=False, autoscroll=False, buttons=[], feedback_options=None,
                    placeholder=app.loaded(), examples=[{"text": q} for q in EXAMPLES],
                )  # fmt: skip
                scope = gr.Markdown(app.scope_chip(), elem_id="scope")
                with gr.Row():
                    # No max_length: a question over the limit is refused with its length, as /ask does.
                    box = gr.Textbox(
                        placeholder=f"Ask a question about the documents (up to {limit} characters)…",
                        show_label=False, scale=5, elem_id="question", lines=1,
                    )  # fmt: skip
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask", min_width=80)
                with gr.Row():
                    each = gr.Checkbox(
                        False, label="By document: every document's answer side by side", elem_id="by-document",
                        scale=3,
                    )  # fmt: skip
                    new = gr.Button("New conversation", elem_id="clear", size="sm", scale=1)
                    panel_button = gr.Button("Documents, uploads, settings", elem_id="panel-button", size="sm", scale=1)
            with gr.Column(scale=2, elem_id="doc-column"):
                view = gr.HTML(EMPTY, elem_id="doc-view")
        # Where a citation link or an "Ask on its own" link in a reply sends its target (LINKS_JS).
        cite = gr.Textbox(elem_id="cite-target", elem_classes="hidden-target", show_label=False, container=False)
        alone = gr.Textbox(elem_id="alone-target", elem_classes="hidden-target", show_label=False, container=False)

        conversation = [chat, turns, answers]
        asked = [box, chat, turns, answers, k, mode, each]
        for event in (box.submit, send.click):
            event(app.respond, asked, [*conversation, box], **private).then(None, js=REPLY_JS)
        # An example on the start screen asks when it is clicked, as if typed and sent.
        chat.example_select(_example, None, box, **private).then(
            app.respond, asked, [*conversation, box], **private
        ).then(None, js=REPLY_JS)
        alone.submit(app.ask_alone, [alone, chat, turns, answers, k, mode], conversation, **private).then(
            None, js=REPLY_JS
        )
        # A citation clicked while another is still opening opens after it ("always_last"): Gradio's
        # default drops a click that comes while the event is pending, leaving the earlier one shown.
        cite.submit(app.open_citation, [cite, answers], view, trigger_mode="always_last", **private).then(
            None, js=SCROLL_JS
        )
        panel_button.click(None, js=PANEL_JS, **private)
        new.click(lambda: ([], [], [], EMPTY), None, [*conversation, view], **private)
        # .input, not .change: only a person's choice sets the server's filter, never the refresh below.
        only.input(app.set_filter, only, scope, show_progress="hidden", **private)

        def follow_filter(shown: list[str] | None):
            """The server's filter as another tab left it: the scope line always, the filter box only
            where it differs (rewriting it while a person chooses would undo their choice)."""
            now = app.searched()
            return app.scope_chip(), gr.skip() if sorted(shown or []) == sorted(now) else gr.update(value=now)

        gr.Timer(FILTER_REFRESH_S).tick(follow_filter, only, [scope, only], show_progress="hidden", **private)
        panel = [table, only, yours, scope, chat]
        # The upload is queued at once and followed until done: no request holds the indexing.
        # The file box is emptied once its files are queued: it is ready for the next upload at once,
        # which sends only its own files.
        upload.upload(app.queue_upload, upload, [status, job], **private).then(
            lambda: None, None, upload, **private
        ).then(app.follow_upload, job, [status, only, yours], concurrency_limit=None, **private).then(
            app.panel, None, panel, **private
        )
        remove.click(None, yours, None, js=REMOVE_JS, **private)
        confirmed.click(app.remove_uploads, yours, [removed, only, yours], **private).then(
            app.panel, None, panel, **private
        )
        # What the index holds is the server's: a second tab, or this one reloaded, shows it as it is now.
        demo.load(app.panel, None, panel, show_progress="hidden", **private)
        demo.load(None, js=LINKS_JS, **private)
        gr.api(app.ask_api, api_name="ask")
        gr.api(app.documents_api, api_name="documents")
    return demo
