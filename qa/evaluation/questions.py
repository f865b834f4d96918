"""Question files: JSON lines of id, question, answers (empty when the documents do not answer) and doc."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: list[str]
    doc: str | None = None
    relevant: dict[str, float] | None = None  # BEIR: graded relevant documents instead of answer strings

    @property
    def answerable(self) -> bool:
        return bool(self.answers or self.relevant)


def load_questions(path: str | Path) -> list[Question]:
    """Read a question file (JSON lines: id, question, answers, doc); a bad line names file and line."""
    path = Path(path)
    if not path.is_file():
        raise QAError(f"question file not found: {path}")
    questions, seen = [], set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QAError(f"{where}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise QAError(f"{where}: expected a JSON object with id, question, answers, doc")
        missing = [key for key in ("id", "question", "answers") if key not in row]
        if missing:
            raise QAError(f"{where}: missing {', '.join(missing)}")
        if not isinstance(row["question"], str) or not row["question"].strip():
            raise QAError(f"{where}: 'question' must be a non-empty string")
        answers = row["answers"]
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise QAError(f"{where}: 'answers' must be a list of strings ([] when the documents do not answer)")
        doc = row.get("doc")
        if doc is not None and not isinstance(doc, str):
            raise QAError(f"{where}: 'doc' must be a string or null")
        qid = str(row["id"])
        if qid in seen:
            raise QAError(f"{where}: duplicate id {qid!r}")
        seen.add(qid)
        questions.append(Question(qid, row["question"], answers, doc))
    if not questions:
        raise QAError(f"no questions in {path}")
    return questions


def as_unanswerable(questions: list[Question], prefix: str = "x-") -> list[Question]:
    """Another corpus's questions, asked of these documents: none should be answered."""
    return [Question(prefix + q.id, q.question, [], None) for q in questions]
