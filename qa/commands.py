"""What each `qa` command does: a thin layer over the library (qa.cli parses the arguments). Heavy imports
happen inside each command, so `qa --help` stays instant."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from qa.app.login import Login
from qa.errors import QAError
from qa.settings import Settings
from qa.terminal import format_hit, print_by_document, print_documents, print_report, shown

DEFAULT_DOCS = "seeds/docs"
DEFAULT_INDEX = "seeds"
# The seeds' two question sets: worded like the documents, and worded as people ask.
DEFAULT_QUESTIONS = "seeds/questions.jsonl,seeds/natural.jsonl,seeds/paraphrased.jsonl"


def default_index_name(docs: Path) -> str:
    """`seeds/docs` -> `seeds`; `~/papers` -> `papers`: a folder called docs is named for its parent."""
    resolved = docs.resolve()
    name = resolved.parent.name if resolved.name == "docs" else resolved.name
    return name or DEFAULT_INDEX


def _settings(args: argparse.Namespace) -> Settings:
    return Settings().with_(
        model=getattr(args, "model", None),
        index_root=getattr(args, "index_root", None),
        passage_tokens=getattr(args, "passage_tokens", None),
        reader=getattr(args, "reader", None),
        store=getattr(args, "store", None),
    )


def _quiet_libraries() -> None:
    # transformers prints a progress bar for every model load; ours are the ones that matter. The variable
    # is read when transformers is first imported: a question on ONNX Runtime (qa.runtime) never imports it.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


def cmd_index(args: argparse.Namespace) -> int:
    from qa.indexing.build import build_index

    _quiet_libraries()
    settings = _settings(args)
    docs = Path(args.docs)
    name = args.name or default_index_name(docs)
    if args.ray is not None:
        from qa.indexing.ray_index import ray_index

        report = ray_index(
            docs, name, settings, address=args.ray or None, show_progress=not args.quiet, collection=args.collection
        )
    else:
        report = build_index(docs, name, settings, show_progress=not args.quiet, collection=args.collection)
    print_report(report)
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from qa.indexing.build import add_files

    _quiet_libraries()
    settings = _settings(args)
    report = add_files(args.files, args.index, settings, args.collection, show_progress=not args.quiet)
    print_report(report)
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from qa.indexing.build import remove_documents

    _quiet_libraries()
    report = remove_documents(args.doc_ids, args.index, _settings(args))
    print_report(report)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from qa.store import read_manifest
    from qa.store.base import listing

    settings = _settings(args)
    rows = listing(read_manifest(settings, args.index))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print_documents(rows)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.answering.answers import answer, check_k, check_question
    from qa.store import open_store

    settings = _settings(args)
    question = check_question(" ".join(args.question), settings)  # before the slow model load
    check_k(args.k, settings.k)
    _quiet_libraries()
    index = open_store(settings, args.index, model=args.model)
    if args.by_document:
        from qa.answering.compare import by_document

        results = by_document(question, index, settings=settings)
        if args.json:
            print(
                json.dumps(
                    {"question": question, "documents": [r.to_dict() for r in results]}, ensure_ascii=False, indent=2
                )
            )
        else:
            print_by_document(results)
        return 0
    result = answer(question, index, k=args.k, settings=settings)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    best = result.best
    if result.abstained:
        print(f"Not in the documents: they do not seem to answer this (confidence {result.confidence:.2f}).")
        print("The closest passages:\n")
    elif best is not None:
        print(shown(f"Answer: “{best.answer_text}”"))
        print(shown(f"   — {best.title} ({best.passage.doc_id}, {best.location})"))
        print(f"   confidence: {result.confidence_words} ({result.confidence:.2f})\n")
    for hit in result.hits:
        print(shown(format_hit(hit)), end="\n\n")
    return 0


def _list(text: str, convert=str) -> list:
    try:
        return [convert(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise QAError(f"cannot read the list {text!r}: {exc}") from exc


def cmd_eval(args: argparse.Namespace) -> int:
    from qa.answering.search import MODES
    from qa.evaluation.beir import evaluate_beir
    from qa.evaluation.evaluate import evaluate
    from qa.evaluation.report import failures, markdown_report, plot, table

    _quiet_libraries()
    settings = _settings(args)
    modes = _list(args.modes) if args.modes else list(MODES)
    ks = tuple(sorted(set(_list(args.k, int))))
    if args.beir:
        results = [evaluate_beir(args.beir, modes, settings, args.index, show_progress=not args.quiet)]
    else:
        results = [
            evaluate(
                args.docs,
                questions,
                modes,
                ks,
                settings,
                args.index,
                show_progress=not args.quiet,
                unanswerable_from=args.unanswerable_from,
                with_baseline=args.baseline,
            )
            for questions in _list(args.questions or DEFAULT_QUESTIONS)
        ]
    for result in results:
        print(f"{result.dataset}: {len(result.questions)} questions over {result.docs}\n")
        print(table(result.modes))
        if args.failures:
            print(f"\nworst {args.failures}:")
            for q, run in failures(result, args.failures):
                found = (
                    f"first hit at rank {run.rank_of_first_hit}" if run.rank_of_first_hit else "no hit in the top 10"
                )
                if not q.answerable:
                    found = "unanswerable, not abstained"
                print(f"  [{run.mode}] {q.id} {q.question!r}: {found}; answered {run.answer[:80]!r}")
        print()
    if args.json:
        out = results[0].to_dict() if len(results) == 1 else {"evaluations": [r.to_dict() for r in results]}
        Path(args.json).write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
    if args.report:
        report = "\n".join(markdown_report(r, args.failures or 10) for r in results)
        Path(args.report).write_text(report, encoding="utf-8")
    if args.plot:
        plot(results[0], args.plot)
    return 0


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def cmd_serve(args: argparse.Namespace) -> int:
    if args.host not in LOOPBACK and not args.auth and not args.no_auth:
        raise QAError(
            f"--host {args.host} makes the app reachable from other machines: "
            "add --auth USER:PASSWORD (or --no-auth if you really mean it)"
        )
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep or not user or not password:
            raise QAError("--auth takes USER:PASSWORD, both non-empty")
        auth = Login(user, password)
    from qa.app.chat import QAApp
    from qa.app.serve import launch, load_index

    _quiet_libraries()
    settings = _settings(args)
    docs = DEFAULT_DOCS if args.index == DEFAULT_INDEX else None
    index = load_index(args.index, settings, docs=docs)
    if settings.reader != "none":
        from qa.answering.reader import load_reader

        load_reader()  # at start, not on the first question
    print(f"serving {args.index} ({len(index.documents)} documents) on http://{args.host}:{args.port}", flush=True)
    launch(QAApp(index, settings), args.host, args.port, auth)
    return 0
