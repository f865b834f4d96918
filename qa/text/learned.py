"""What an index learns from all its documents together: the abbreviations and the proper names.

Both are properties of the whole collection ("Keane" is a name because no document writes "keane"),
so a change of one document could change them. Reading every document again at each change costs
more than the change itself on a large index; instead the index keeps the documents' summed counts
(`learned.json`), adds a new document's and takes away a removed one's, and derives both tables from
the counts. The result equals learning from the documents afresh (tested).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from qa.text import abbreviations, names

FILE = "learned.json"
_PARTS = {"abbreviations": abbreviations, "names": names}


class Learned:
    """The documents' summed counts, and the tables they give."""

    def __init__(self, counts: dict[str, dict[str, Counter]] | None = None):
        self.counts = counts or {part: {} for part in _PARTS}

    def add(self, texts: Iterable[str], sign: int = 1) -> None:
        for text in texts:
            for part, module in _PARTS.items():
                for key, counts in module.tally(text).items():
                    total = self.counts[part].setdefault(key, Counter())
                    for item, n in counts.items():
                        total[item] += sign * n
                        if total[item] == 0:
                            del total[item]  # a removed document's words leave no trace

    def remove(self, texts: Iterable[str]) -> None:
        self.add(texts, sign=-1)

    def abbreviations(self) -> dict[str, str]:
        return abbreviations.from_tally(self._part("abbreviations", ("found", "in_text", "runs", "wholes")))

    def names(self) -> list[str]:
        return names.from_tally(self._part("names", ("capitalised", "lower")))

    def _part(self, part: str, keys: tuple[str, ...]) -> dict[str, Counter]:
        return {key: self.counts[part].get(key, Counter()) for key in keys}

    def to_json(self) -> str:
        data = {part: {key: dict(c) for key, c in keys.items()} for part, keys in self.counts.items()}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Learned:
        data = json.loads(text)
        return cls({part: {key: Counter(c) for key, c in data.get(part, {}).items()} for part in _PARTS})

    def save(self, folder: Path) -> None:
        (folder / FILE).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Learned:
        return cls.from_json((folder / FILE).read_text(encoding="utf-8"))
