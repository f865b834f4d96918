"""The command line: its arguments, parsed and handed to qa.commands; every user error is one line."""

from __future__ import annotations

import argparse
import logging
import sys

from qa.commands import (
    DEFAULT_DOCS,
    DEFAULT_INDEX,
    DEFAULT_QUESTIONS,
    cmd_add,
    cmd_ask,
    cmd_eval,
    cmd_index,
    cmd_list,
    cmd_remove,
    cmd_serve,
    default_index_name,
)
from qa.errors import QAError
from qa.settings import IndexSettings
from qa.terminal import SafeFormatter, shown
from qa.text.documents import SUFFIXES

__all__ = ["build_parser", "default_index_name", "main"]


def _store_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--store",
        metavar="URI",
        help="where the index lives: left out, the local store under --index-root; milvus:PATH.db for Milvus Lite; "
        "milvus://HOST:PORT for a Milvus server (default: $QA_STORE)",
    )


READERS = ("bundled", "none")


def _reader_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--reader",
        choices=READERS,
        help="bundled (default): a trained reader reads the best candidates; none: the scorers alone, fastest",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa", description="Ask questions of a folder of documents; get cited passages back."
    )
    parser.add_argument("--index-root", help="folder that holds the indexes (default: ./index, or $QA_INDEX_ROOT)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="sync an index with a folder: embed new and changed files, remove deleted ones")
    p.add_argument(
        "docs",
        nargs="?",
        default=DEFAULT_DOCS,
        help=f"documents folder, files {' '.join(SUFFIXES)} in it and below (default: {DEFAULT_DOCS})",
    )
    p.add_argument("--name", help="index name (default: the folder's name; seeds/docs -> seeds)")
    p.add_argument("--collection", help="the collection the folder is synced into (default: the index's name)")
    p.add_argument("--model", help="sentence-transformers model name or path (default: bundled all-MiniLM-L6-v2)")
    p.add_argument(
        "--passage-tokens",
        type=int,
        help=f"target passage length in word pieces (default: {IndexSettings().passage_tokens})",
    )
    p.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="read, split and embed on Ray (a local Ray when no address is given, else the cluster's), "
        "committing every 20,000 passages: a rerun resumes",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    _store_flag(p)
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("add", help="add or update single files in an index, as a collection of their own")
    p.add_argument("files", nargs="+", help=f"files to add ({' '.join(SUFFIXES)})")
    p.add_argument("--index", default=DEFAULT_INDEX, help=f"index name (default: {DEFAULT_INDEX})")
    p.add_argument("--collection", default="uploads", help="collection to add them to (default: uploads)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    _store_flag(p)
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("remove", help="remove documents from an index by id (qa list shows the ids)")
    p.add_argument("doc_ids", nargs="+", help="document ids")
    p.add_argument("--index", default=DEFAULT_INDEX, help=f"index name (default: {DEFAULT_INDEX})")
    _store_flag(p)
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("list", help="list an index's documents: id, collection, title, passages, pages")
    p.add_argument("--index", default=DEFAULT_INDEX, help=f"index name (default: {DEFAULT_INDEX})")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    _store_flag(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("ask", help="ask a question; print the answer sentence and cited passages")
    p.add_argument("question", nargs="+", help="the question")
    p.add_argument("-k", type=int, default=None, help="number of passages (default: 5)")
    p.add_argument("--index", default=DEFAULT_INDEX, help=f"index name (default: {DEFAULT_INDEX})")
    p.add_argument("--model", help="refuse the index unless it was built with this model")
    p.add_argument("--json", action="store_true", help="print one JSON object: question, answer, hits")
    p.add_argument(
        "--by-document", action="store_true", help="every document's best answer side by side, and which do not say"
    )
    _reader_flag(p)
    _store_flag(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="measure how often the right passage comes back, and how fast")
    p.add_argument("--docs", default=DEFAULT_DOCS, help=f"documents folder (default: {DEFAULT_DOCS})")
    p.add_argument("--questions", help=f"question files, JSON lines, comma-separated (default: {DEFAULT_QUESTIONS})")
    p.add_argument(
        "--unanswerable-from", metavar="FILE", help="add another corpus's questions, counted as unanswerable here"
    )
    p.add_argument("--baseline", action="store_true", help="add a plain-BM25 row over the same passages")
    p.add_argument("--beir", metavar="DIR", help="a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv)")
    p.add_argument("--modes", help="comma-separated retrieval modes (default: all)")
    p.add_argument("--k", default="1,3,5,10", help="comma-separated k for hit@k (default: 1,3,5,10)")
    p.add_argument("--model", help="sentence-transformers model name or path (default: bundled)")
    p.add_argument("--passage-tokens", type=int, help="target passage length in word pieces")
    p.add_argument("--index", help="index name to build or reuse (default: eval-FOLDER)")
    p.add_argument("--json", metavar="OUT.json", help="write all results and per-question runs as JSON")
    p.add_argument("--report", metavar="OUT.md", help="write a Markdown report with the worst questions")
    p.add_argument("--plot", metavar="OUT.png", help="plot hit@k against k, a line per mode")
    p.add_argument("--failures", type=int, default=0, metavar="N", help="show the N worst questions")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    _reader_flag(p)
    _store_flag(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("serve", help="start the chat app (builds the seeds index first if it is missing)")
    p.add_argument("--index", default=DEFAULT_INDEX, help=f"index name (default: {DEFAULT_INDEX})")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require a login (needed to bind another address)")
    p.add_argument("--no-auth", action="store_true", help="allow another address without a login")
    _reader_flag(p)
    _store_flag(p)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter("qa: warning: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    try:
        return args.func(args)
    except QAError as exc:
        print(shown(f"qa: error: {exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
