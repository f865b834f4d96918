"""What the page shows of the index, the same in every tab: its documents with readable titles, the
uploads, the filter and the line that says what is searched, the start screen. The app (qa.app.chat) is a
Panel over its index; these are its handlers for the side panel and the page's load."""

from __future__ import annotations

import gradio as gr

from qa.app.render import plural, readable_title, short_title, text
from qa.app.uploads import UPLOADS
from qa.records import Hit
from qa.store.base import Store, listing


class Panel:
    """The side panel's state and handlers, over `self.index`: `only` (the filter) is the server's."""

    index: Store
    only: list[str]
    _titles: dict[tuple[str, str], str]

    def title(self, doc_id: str, title: str = "") -> str:
        """The document's title as a reader should see it (qa.app.render.readable_title), kept per version."""
        index = self.index
        entry = index.manifest["documents"].get(doc_id)
        if entry is None:
            return readable_title(title or doc_id)
        key = (doc_id, entry.get("sha256", ""))
        if key not in self._titles:
            doc = index.documents.get(doc_id)
            self._titles[key] = readable_title(entry["title"], doc.text if doc else "")
        return self._titles[key]

    def hit_title(self, hit: Hit) -> str:
        return self.title(hit.passage.doc_id, hit.title)

    def document_choices(self) -> list[tuple[str, str]]:
        return [(f"{self.title(doc_id)} ({doc_id})", doc_id) for doc_id in self.index.manifest["documents"]]

    def upload_choices(self) -> list[tuple[str, str]]:
        """The user's own documents (the uploads collection): only these can be removed from the app."""
        entries = self.index.manifest["documents"].items()
        return [(f"{self.title(doc_id)} ({doc_id})", doc_id) for doc_id, e in entries if e["collection"] == UPLOADS]

    def searched(self) -> list[str]:
        """The filter, less any document removed since it was chosen."""
        self.only = [d for d in self.only if d in self.index.documents]
        return self.only

    def set_filter(self, only: list[str] | None) -> str:
        """The filter chosen in any tab is the server's; the line above the question box says it."""
        self.only = [d for d in dict.fromkeys(only or []) if d in self.index.documents]
        return self.scope_chip()

    def scope_chip(self) -> str:
        """What the next question searches, for the line above the question box."""
        total, only = len(self.index.documents), self.searched()
        if not only:
            return f"Searching all {plural(total, 'document')}."
        names = "; ".join(text(short_title(self.title(d), 50)) for d in only[:3]) + ("; …" if len(only) > 3 else "")
        return f"**Searching only {len(only)} of {plural(total, 'document')}:** {names} · change it under “Search only these documents” in the side panel"

    def loaded(self) -> str:
        """The start screen: what the index holds, and what to do."""
        counts: dict[str, int] = {}
        for entry in self.index.manifest["documents"].values():
            counts[entry["collection"]] = counts.get(entry["collection"], 0) + 1
        parts = ", ".join(f"{n} {'of yours' if c == UPLOADS else f'in {text(c)}'}" for c, n in counts.items())
        return (
            f"**{plural(sum(counts.values()), 'document')} loaded** ({parts}).\n\nAsk a question: the answer is "
            "a sentence quoted from them, with its source, or “not in the documents”. The side panel lists "
            "them, chooses which to search and adds your own files."
        )

    def documents_html(self) -> str:
        """The documents panel: what the index holds, one line a document (its title, then its file,
        passages and dates)."""
        rows = []
        for row in listing(self.index.manifest):
            dated = f" · dated {text(row['date'])}" if row.get("date") else ""
            added = f" · added {text((row.get('indexed_at') or '')[:10])}" if row.get("indexed_at") else ""
            mine = ' <span class="tag">yours</span>' if row["collection"] == UPLOADS else ""
            rows.append(
                f'<li><span class="doc-name">{text(self.title(row["id"]))}</span>{mine}<br>'
                f'<span class="file">{text(row["id"])} · {plural(row["passages"], "passage")}{dated}{added}</span></li>'
            )
        return f'<ul class="documents">{"".join(rows)}</ul>'

    def panel(self):
        """What the page shows of the server's state, for a tab that opens or reloads the page: the
        documents, the filter's choices and value, the uploads, the scope line, the start screen."""
        return (
            self.documents_html(),
            gr.update(choices=self.document_choices(), value=self.searched()),
            gr.update(choices=self.upload_choices(), value=[]),
            self.scope_chip(),
            gr.update(placeholder=self.loaded()),
        )
