"""Abbreviations learned from the documents, and questions expanded with them."""

from __future__ import annotations

from qa.text.abbreviations import expand, learn
from qa.text.documents import read_folder
from tests.conftest import SEEDS


def test_the_seeds_abbreviations_are_learned_from_brackets_and_from_spelled_out_names():
    table = learn(doc.text for doc in read_folder(SEEDS))
    # In brackets after the term, singular from a plural "(ROCUs)", lower case kept as written.
    assert table["SOC"] == "serious organised crime"
    assert table["ROCU"] == "Regional Organised Crime Unit"
    assert table["SIO"] == "senior investigating officer"
    assert table["LRO"] == "lead responsible officer"
    assert table["NWROCU"] == "North West Regional Organised Crime Unit"
    assert table["PEEL"] == "police effectiveness efficiency and legitimacy"
    # Never bracketed: capitalised words elsewhere spell them, skipping "and".
    assert table["PCC"].startswith("Police and Crime Commissioner")
    assert table["ACC"] == "Assistant Chief Constable"
    # "NCA" never appears in the seeds; "National Crime Agency" does, twice.
    assert table["NCA"] == "National Crime Agency"
    assert "TO" not in table  # "TO THE HMICFRS REPORT" in a heading is not an abbreviation


def test_bracket_forms_both_ways_and_no_false_pairs():
    table = learn(
        [
            "The Metropolitan Transit Authority (MTA) runs buses. MTA fares rose.",
            "WHO (World Health Organization) issued guidance.",
            "We met the Board (see annex) in May.",
        ]
    )
    assert table["MTA"] == "Metropolitan Transit Authority"
    assert table["WHO"] == "World Health Organization"
    assert "see" not in " ".join(table.values())


def test_questions_are_expanded_both_ways():
    table = {"PCC": "Police and Crime Commissioner", "SIO": "senior investigating officer"}
    assert (
        expand("Who is the PCC for Cheshire?", table) == "Who is the PCC for Cheshire? (Police and Crime Commissioner)"
    )
    assert (
        expand("What do senior investigating officers do?", table) == "What do senior investigating officers do? (SIO)"
    )
    assert expand("Who pays for it?", table) == "Who pays for it?"
    # Already spelled out: nothing to add.
    assert (
        expand("Is the PCC the Police and Crime Commissioner?", table)
        == "Is the PCC the Police and Crime Commissioner?"
    )
