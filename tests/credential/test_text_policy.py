"""The issuance text rule: no noncharacters anywhere; no C0 controls but LF/CR for Ed25519Signature2020."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badge_issuer.credential import text_policy
from badge_issuer.credential.text_policy import findings, is_noncharacter, refuse_untransportable
from badge_issuer.errors import ValidationFailed


def test_every_unicode_noncharacter_and_nothing_else_is_one() -> None:
    found = [cp for cp in range(0x110000) if is_noncharacter(cp)]
    assert len(found) == 66
    assert found[:32] == list(range(0xFDD0, 0xFDF0))
    assert {cp & 0xFFFF for cp in found[32:]} == {0xFFFE, 0xFFFF}
    assert not is_noncharacter(0xFFFD) and not is_noncharacter(0xFDCF) and not is_noncharacter(0xFDF0)


@pytest.mark.parametrize("char", ["\ufffe", "\uffff", "\ufdd0", "\ufdef", "\U0001fffe", "\U0010ffff"])
def test_noncharacters_are_refused_for_every_suite_with_the_pointer(char: str) -> None:
    document = {"recipient": {"name": f"Ada{char}"}, "tag": ["ok", f"x{char}"]}
    for suites in ((), ("eddsa-rdfc-2022",), ("eddsa-jcs-2022",), ("Ed25519Signature2020",)):
        with pytest.raises(ValidationFailed) as raised:
            refuse_untransportable(document, suites=suites)
        assert [issue.pointer for issue in raised.value.issues] == ["/recipient/name", "/tag/1"]
        assert raised.value.pointer == "/recipient/name"
        assert "noncharacter" in raised.value.issues[0].message


def test_member_names_are_checked_too_and_pointers_are_escaped() -> None:
    [issue] = findings({"a/b": {"k\uffff": 1}})
    assert issue.pointer == "/a~1b/k\uffff"
    assert issue.message.startswith("member name contains U+FFFF")


@pytest.mark.parametrize("char", ["\t", "\x00", "\x01", "\x0b", "\x0c", "\x1b", "\x1f"])
def test_c0_controls_are_refused_only_for_ed25519signature2020(char: str) -> None:
    document = {"narrative": f"line{char}more"}
    for suites in ((), ("eddsa-rdfc-2022",), ("eddsa-jcs-2022", "eddsa-rdfc-2022")):
        refuse_untransportable(document, suites=suites)
    with pytest.raises(ValidationFailed) as raised:
        refuse_untransportable(document, suites=["eddsa-rdfc-2022", "Ed25519Signature2020"])
    assert raised.value.pointer == "/narrative"
    assert "Ed25519Signature2020" in raised.value.issues[0].message


def test_lf_cr_and_ordinary_text_pass_for_every_suite() -> None:
    document = {"narrative": "one\r\ntwo\nthree \u00e9\U0001f600 \ufffd \u007f", "n": 1, "b": None}
    refuse_untransportable(document, suites=["Ed25519Signature2020", "eddsa-rdfc-2022"])


# text rich in what the rule is about: noncharacters, every C0 control, backslashes and the letters
# of JSON escapes, besides any other code point
_TRICKY = st.sampled_from(
    ["\ufffe", "\uffff", "\ufdd0", "\ufdef", "\U0001fffe", "\U0010ffff", "\\", "u", "t", "b", "f", "0", "1"]
    + [chr(cp) for cp in range(0x20)]
)
_TEXT = st.lists(st.one_of(_TRICKY, st.characters()), max_size=8).map("".join)
_DOCUMENTS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), _TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=400)
@given(document=_DOCUMENTS, strict=st.booleans())
def test_the_one_search_of_the_json_text_never_hides_a_finding(document: Any, strict: bool) -> None:
    # the fast path may only answer "clean" where the walk of every string finds nothing
    suites = ("Ed25519Signature2020",) if strict else ("eddsa-rdfc-2022",)
    walked = list(text_policy._strings(document))
    refused = [text for _, text, _ in walked if text_policy.first_refused(text, controls=strict) is not None]
    if text_policy._surely_clean(document, controls=strict):
        assert refused == []
    assert bool(findings(document, suites=suites)) == bool(refused)


def test_a_document_that_is_not_plain_json_is_walked() -> None:
    from datetime import date

    assert findings({"when": date(2026, 1, 1), "name": "Ada\ufffe"}) != []
    assert findings({"when": date(2026, 1, 1), "name": "Ada"}) == []


def test_a_document_nested_deeper_than_json_dumps_goes_is_walked() -> None:
    deep: Any = ["Ada\ufffe"]
    for _ in range(5000):
        deep = [deep]
    assert [issue.pointer for issue in findings(deep)] == ["/0" * 5000 + "/0"]
