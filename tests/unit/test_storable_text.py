"""Text PostgreSQL refuses is mapped the same way every time (issue 10 §1)."""

from hypothesis import given
from hypothesis import strategies as st

from projections.envelope import REPLACEMENT, Envelope, storable, storable_text


def envelope(data: dict[str, object], actor: dict[str, object]) -> Envelope:
    return Envelope(
        1, "id", 1, "Customer.Registered", "t", "2026-01-01T00:00:00", 1, 1, actor, data
    )


def test_nul_and_lone_surrogates_become_the_replacement_character() -> None:
    assert storable_text("a\x00b\ud800c\udfffd") == f"a{REPLACEMENT}b{REPLACEMENT}c{REPLACEMENT}d"
    assert storable_text("Zoë 😀") == "Zoë 😀"


def test_every_string_of_an_envelope_is_storable_and_clean_ones_are_untouched() -> None:
    clean = envelope({"name": "Ann", "lines": [{"memo": "ok"}]}, {"user": "u"})
    assert storable(clean) is clean
    dirty = envelope(
        {"name": "A\x00nn", "lines": [{"me\x00mo": ["x\ud83d"]}], "n": 5}, {"u": "\x00"}
    )
    cleaned = storable(dirty)
    assert cleaned.data == {"name": "A\ufffdnn", "lines": [{"me\ufffdmo": ["x\ufffd"]}], "n": 5}
    assert cleaned.actor == {"u": "\ufffd"}


@given(st.text(st.characters(exclude_categories=())))
def test_the_mapping_is_deterministic_and_leaves_nothing_postgres_refuses(text: str) -> None:
    once = storable_text(text)
    assert once == storable_text(text) == storable_text(once)
    assert "\x00" not in once
    once.encode("utf-8")  # no lone surrogate left
    assert len(once) == len(text)
