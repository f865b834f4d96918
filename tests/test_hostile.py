"""Hostile and careless input: links out of the folder, escape sequences, files without spaces, odd values."""

from __future__ import annotations

import logging
import math

import gradio as gr
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from qa.answering.answers import check_k, check_question
from qa.app.uploads import safe_name
from qa.cli import main
from qa.errors import QAError
from qa.terminal import shown
from qa.text.documents import find_files, read_document, read_folder
from qa.text.passages import split_passages


def test_a_link_out_of_the_folder_is_not_a_document(tmp_path, caplog):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.md").write_text("# Notes\n\nA real note.")
    (docs / "passwd.md").symlink_to(secret)
    (docs / "same.md").symlink_to(docs / "notes.md")  # a link that stays inside is fine
    with caplog.at_level(logging.WARNING):
        assert [p.name for p in find_files(docs)] == ["notes.md", "same.md"]
    assert "passwd.md: a link to a file outside" in caplog.text


def test_escape_sequences_never_reach_the_text_or_the_terminal(tmp_path, capsys):
    body = "An ordinary paragraph of the report, long enough to be a document. " * 10
    (tmp_path / "evil.md").write_text(f"# Title\x1b]0;pwned\x07\n\nClear \x1b[2J the screen \x9b31m now.\n\n{body}")
    doc = read_document(tmp_path / "evil.md", tmp_path)
    assert not any(ord(c) < 32 and c not in "\n" or 0x7F <= ord(c) <= 0x9F for c in doc.text + doc.title)
    assert doc.text.startswith("Title ]0;pwned") and "Clear [2J the screen 31m now." in doc.text
    assert shown("name\x1b[2J.txt") == "name?[2J.txt"
    # A file name with an escape in a CLI error comes out harmless too.
    assert main(["--index-root", str(tmp_path), "index", str(tmp_path / "no\x1b[2Jpe")]) == 1
    assert "\x1b" not in capsys.readouterr().err


def test_a_file_without_spaces_becomes_bounded_passages(tmp_path, embedder):
    (tmp_path / "blob.txt").write_text("x" * 200_000 + ". Then a real sentence.")
    doc = read_document(tmp_path / "blob.txt", tmp_path)
    passages = split_passages(doc, embedder.count_tokens, 176)
    assert max(len(p.text) for p in passages) <= 176 * 12 + 100  # about 2,100 characters at most
    assert all(doc.text[p.start : p.end] == p.text for p in passages)
    assert passages[-1].text.endswith("Then a real sentence.")


@pytest.mark.parametrize(
    "name, saved",
    [("Café résumé.pdf", "Café résumé.pdf"), ("文件.txt", "文件.txt"), ("../../etc/passwd.md", "passwd.md"),
     ("a\x1b[2Jb.txt", "a_2Jb.txt"), (".hidden.md", "hidden.md"), ("?.txt", "document.txt")],
)  # fmt: skip
def test_upload_names_keep_their_letters_and_stay_in_their_folder(name, saved):
    assert safe_name(name) == saved


@pytest.mark.parametrize(
    "k, message",
    [("abc", "whole number"), (2.5, "whole number"), (math.nan, "whole number"), (math.inf, "whole number"),
     (True, "whole number"), (0, "out of range"), (101, "out of range"), ([3], "whole number")],
)  # fmt: skip
def test_k_must_be_a_whole_number_in_range(k, message):
    with pytest.raises(QAError, match=message):
        check_k(k, 5)
    assert check_k(None, 5) == 5 and check_k(3, 5) == 3 and check_k(3.0, 5) == 3


@hsettings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.none(), st.integers(), st.floats(), st.lists(st.integers()), st.dictionaries(st.text(), st.text()), st.text()
    )
)
def test_any_question_value_is_accepted_or_refused_in_one_clear_line(value):
    try:
        question = check_question(value)
    except QAError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        assert isinstance(question, str) and question == question.strip() and question


def test_a_question_with_bytes_that_are_not_utf8_is_refused():
    with pytest.raises(QAError, match="not valid text"):
        check_question("caf\udce9 prices")  # how Python hands over such bytes from the command line


def test_ask_api_turns_bad_values_into_messages(tmp_path, seeds_root):
    import shutil

    from qa.app.chat import QAApp
    from qa.settings import Settings
    from qa.store.local.index import Index

    shutil.copytree(seeds_root / "seeds", tmp_path / "seeds")
    app = QAApp(Index.load(tmp_path / "seeds"), Settings(index_root=str(tmp_path), uploads_dir=str(tmp_path / "up")))
    for question, k in [(None, 5), (42, 5), (["a"], 5), ("\ud800", 5), ("Who?", "abc"), ("Who?", None), ("Who?", 2.5)]:
        if k is None:
            assert app.ask_api(question, k)["hits"]  # the default k
            continue
        with pytest.raises(gr.Error):
            app.ask_api(question, k)


def test_bad_k_is_refused_before_the_model_loads(tmp_path, capsys):
    assert main(["--index-root", str(tmp_path), "ask", "-k", "0", "Who?"]) == 1
    assert "k=0 is out of range" in capsys.readouterr().err  # not "no index": nothing was loaded


def test_random_bytes_named_text_are_refused_and_the_rest_is_read(tmp_path):
    import random

    (tmp_path / "noise.txt").write_bytes(random.Random(1).randbytes(50_000))
    (tmp_path / "nul-late.txt").write_bytes(b"A real sentence here. " * 500 + b"\x00" * 5000)
    (tmp_path / "good.txt").write_text("A good document. It reads well.")
    assert [d.id for d in read_folder(tmp_path)] == ["good.txt"]
