"""Abbreviations learned from the documents, so a question that says "SOC" finds "serious organised crime".

Three sources, all from the corpus itself (nothing is typed in by hand):

- a term with its abbreviation in brackets, or the reverse: "Serious Organised Crime (SOC)",
  "Regional Organised Crime Units (ROCUs)", "PEEL (police effectiveness, efficiency and legitimacy)";
- an all-capitals word that some run of capitalised words elsewhere in the documents spells out
  ("PCC" and "Police and Crime Commissioner", "ACC" and "Assistant Chief Constable");
- a run of capitalised words that appears at least twice, once not inside a longer run, for initials
  the documents never use themselves ("National Crime Agency" for a question that says "NCA").

The table is stored in the index's manifest and used to expand questions both ways.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

# Small words an abbreviation skips: "Police *and* Crime Commissioner" is PCC.
_SKIPPED = {"and", "of", "the", "for", "&", "in", "on", "to", "at"}
_ACRONYM = r"[A-Z][A-Z&]{1,9}"
_BRACKET_AFTER = re.compile(rf"\(({_ACRONYM})(s?)\)")
_BRACKET_BEFORE = re.compile(rf"\b({_ACRONYM})(?:s|'s)?\s+\(([^()]{{3,120}})\)")
_CAPS_WORD = re.compile(rf"(?<![\w&])({_ACRONYM})(?:s|'s|’s)?(?![\w&])")
_WORD = re.compile(r"[\w'’&]+")
# Within one line: a run never crosses a paragraph. Words of one letter ("I") end a run.
_RUN = re.compile(r"[A-Z][\w'’]+(?:[ \t]+(?:(?:and|of|the|for|&)[ \t]+)?[A-Z][\w'’]+)+")
# Capitalised words that are ordinary words, not abbreviations ("TO THE REPORT" in a heading).
_NOT_ACRONYMS = {"to", "of", "the", "and", "in", "on", "at", "by", "for", "or", "as", "is", "it", "an", "we", "he",
                 "be", "no", "so", "do", "my", "us", "me", "if", "up", "i", "a", "am", "are", "was", "our", "all"}  # fmt: skip
_PLURAL = re.compile(r"(?<=[a-rt-z])s$")


def _letters(acronym: str) -> str:
    return acronym.replace("&", "").lower()


def _spells(words: list[str], acronym: str) -> bool:
    """Whether the initials of `words`, one a word, spell `acronym`; small words ("and", "of") may give
    none: "Police and Crime Commissioner" spells PCC, "North West Regional Organised Crime Unit" NWROCU."""
    letters = _letters(acronym)

    def match(i: int, j: int) -> bool:
        if j == len(letters):
            return i == len(words)
        if i == len(words):
            return False
        word = words[i]
        if word.lower() in _SKIPPED and match(i + 1, j):
            return True
        return word[:1].lower() == letters[j] and match(i + 1, j + 1)

    return bool(words) and words[0].lower() not in _SKIPPED and match(0, 0)


def _words_before(text: str, end: int, count: int) -> list[str]:
    return _WORD.findall(text[max(0, end - 200) : end])[-count:]


def _expansion_before(text: str, bracket_start: int, acronym: str) -> str | None:
    """The shortest run of words just before `(ACRONYM)` whose initials spell it."""
    n = len(_letters(acronym))
    words = _words_before(text, bracket_start, 2 * n + 2)
    for size in range(n, len(words) + 1):
        run = words[len(words) - size :]
        if _spells(run, acronym):
            return " ".join(run)
    return None


def _capitalised_runs(text: str) -> list[tuple[str, bool]]:
    """Every run of 2-8 capitalised words (small words allowed inside) that starts and ends on a capital,
    and whether it is the whole run rather than a part of a longer one."""
    out = []
    for m in _RUN.finditer(text):
        words = _WORD.findall(m.group())
        for i in range(len(words)):
            if not words[i][:1].isupper():
                continue
            for j in range(i + 2, min(len(words), i + 8) + 1):
                if words[j - 1][:1].isupper():
                    out.append((" ".join(words[i:j]), i == 0 and j == len(words)))
    return out


def tally(text: str) -> dict[str, Counter]:
    """What one document says about abbreviations, as counts that add up across documents: the
    bracketed pairs ("acronym\texpansion"), the all-capitals words it uses, its capitalised runs, and
    the runs it has whole. A change of the index adds a new document's counts and takes away a removed
    one's, instead of reading every document again."""
    found, in_text, runs, wholes = Counter(), Counter(), Counter(), Counter()
    for m in _BRACKET_AFTER.finditer(text):
        expansion = _expansion_before(text, m.start(), m.group(1))
        if expansion:
            # "Regional Organised Crime Units (ROCUs)": the singular matches both forms in a question.
            found[f"{m.group(1)}\t{_PLURAL.sub('', expansion) if m.group(2) else expansion}"] += 1
    for m in _BRACKET_BEFORE.finditer(text):
        words = _WORD.findall(m.group(2))
        if _spells(words, m.group(1)):
            found[f"{m.group(1)}\t{' '.join(words)}"] += 1
    in_text.update({m.group(1) for m in _CAPS_WORD.finditer(text)})
    for run, whole in _capitalised_runs(text):
        runs[run] += 1
        if whole:
            wholes[run] = 1
    return {"found": found, "in_text": in_text, "runs": runs, "wholes": wholes}


def from_tally(counts: dict[str, Counter]) -> dict[str, str]:
    """Abbreviation -> expansion from the documents' summed `tally`: the most frequent expansion wins
    (ties: the one in lower case, then the first alphabetically, so the table does not depend on the
    documents' order)."""
    found: dict[str, Counter] = {}
    for pair, n in counts["found"].items():
        acronym, expansion = pair.split("\t", 1)
        found.setdefault(acronym, Counter())[expansion] += n
    # Acronyms never bracketed: spelled out by a run of capitalised words somewhere in the documents.
    # A run spelled out at least twice also stands for its initials when the documents never use
    # them ("National Crime Agency" for a question that says "NCA").
    bracketed = set(found)
    for run, count in counts["runs"].items():
        words = run.split()
        acronym = "".join(w[0] for w in words if w.lower() not in _SKIPPED).upper()
        if acronym in bracketed or acronym.lower() in _NOT_ACRONYMS or run.isupper():
            continue
        if counts["in_text"][acronym] > 0 or (counts["wholes"][run] > 0 and count >= 2 and len(acronym) >= 3):
            found.setdefault(acronym, Counter())[run] += count
    return {
        acronym: min(c.items(), key=lambda kv: (-kv[1], kv[0] != kv[0].lower(), kv[0]))[0]
        for acronym, c in sorted(found.items())
    }


def learn(texts: Iterable[str]) -> dict[str, str]:
    """Abbreviation -> expansion, learned from `texts`."""
    total: dict[str, Counter] = {"found": Counter(), "in_text": Counter(), "runs": Counter(), "wholes": Counter()}
    for text in texts:
        for key, counts in tally(text).items():
            total[key].update(counts)
    return from_tally(total)


def expand(question: str, table: dict[str, str]) -> str:
    """The question with each abbreviation's expansion added, and each spelled-out term's abbreviation.

    "Who's the PCC for Cheshire?" -> "Who's the PCC for Cheshire? (Police and Crime Commissioner)".
    The additions go at the end, so the question itself reads as it was asked.
    """
    added = []
    lower = question.lower()
    used = {m.group(1) for m in _CAPS_WORD.finditer(question)}
    for acronym in sorted(used, key=question.index):
        expansion = table.get(acronym)
        if expansion and expansion.lower() not in lower and expansion not in added:
            added.append(expansion)
    # Words joined by single spaces, with one before: " police and crime commissioners ..." holds
    # " police and crime commissioner" where a spelled-out term starts at a word.
    spaced = " " + " ".join(_WORD.findall(lower))
    for acronym, expansion in table.items():
        spelled = " " + " ".join(_WORD.findall(_PLURAL.sub("", expansion).lower()))
        if spelled in spaced and acronym not in used:
            added.append(acronym)
    return f"{question} ({'; '.join(added)})" if added else question
