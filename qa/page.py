"""What the chat page looks like and does by itself: its style, its scripts, its example questions."""

from __future__ import annotations

EXAMPLES = [
    "What rating did the North West ROCU receive?",
    "How many years in prison have TITAN investigations produced?",
    "Who is the Police and Crime Commissioner for Cheshire?",
    "What does the Wiltshire PCC see as a barrier to the ROCU network's progress?",
]

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
