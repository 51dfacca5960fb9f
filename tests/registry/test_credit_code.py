"""Unified social credit code (统一社会信用代码, GB 32100-2015) of a studio's host unit (R-8 materials)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registry.contract import ALPHABET, WEIGHTS, check_digit, validate_credit_code

VALID_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def test_R8_credit_code_alphabet_and_weights_follow_gb32100():
    assert ALPHABET == VALID_CHARS and len(ALPHABET) == 31
    assert not set("IOZSV") & set(ALPHABET)
    assert WEIGHTS == tuple(pow(3, i, 31) for i in range(17))


# Codes as published (business licences / GB 32100-2015 example); their check characters
# agree with this implementation, which is an independent check of the algorithm.
PUBLISHED = [
    "91350100M000100Y43",  # the example in GB 32100-2015
    "914403001922038216",
    "91330100716105852F",
    "9144030071526726XG",
    "91110108551385082Q",
    "91110000802100433B",
]


@pytest.mark.parametrize("code", PUBLISHED)
def test_R8_published_credit_codes_validate(code):
    assert check_digit(code[:17]) == code[17]
    assert validate_credit_code(code) is None


# Real-world-format examples built with our own check_digit:
# 1=机构编制 / 5=民政 / 9=工商 registration authority, type, 6-digit Beijing district code, 9-char org code
GENERATED = [
    ("91110105MA01XYW12", "91110105MA01XYW12" + check_digit("91110105MA01XYW12")),  # enterprise, 朝阳区
    ("12110000400688128", "12110000400688128" + check_digit("12110000400688128")),  # public institution, 北京市
    ("52110108MJ0123456", "52110108MJ0123456" + check_digit("52110108MJ0123456")),  # social org, 海淀区
    ("911101147000000CA", "911101147000000CA" + check_digit("911101147000000CA")),  # 昌平区
]


@pytest.mark.parametrize("first17, code", GENERATED)
def test_R8_generated_real_world_format_codes_validate(first17, code):
    assert len(code) == 18 and code.startswith(first17)
    assert validate_credit_code(code) is None


def test_R8_check_value_31_maps_to_0():
    # sum ≡ 0 (mod 31) → 31 - 0 = 31 → '0'
    assert check_digit("0" * 17) == "0"
    assert validate_credit_code("0" * 18) is None


def test_R8_wrong_length_reason():
    assert validate_credit_code("91350100M000100Y4") == "wrong length: 17 characters, expected 18"
    assert "wrong length" in validate_credit_code("91350100M000100Y433")
    assert "wrong length" in validate_credit_code("")


@pytest.mark.parametrize(
    "code, position, char",
    [
        ("91350100I000100Y43", 9, "I"),
        ("O1350100M000100Y43", 1, "O"),
        ("91350100M000100Y4Z", 18, "Z"),
        ("9135010SM000100Y43", 8, "S"),
        ("91350100M000100V43", 16, "V"),
        ("91350100m000100Y43", 9, "m"),
        ("91350100M000-00Y43", 13, "-"),
    ],
)
def test_R8_bad_character_reason_names_position(code, position, char):
    reason = validate_credit_code(code)
    assert reason is not None
    assert reason.startswith(f"bad character {char!r} at position {position}")


def test_R8_lower_case_gets_a_hint():
    assert "upper case" in validate_credit_code("91350100m000100Y43")


def test_R8_wrong_check_digit_reason_names_expected():
    assert validate_credit_code("91350100M000100Y44") == "wrong check digit '4', expected '3'"


def test_R8_non_string_is_a_reason_not_a_crash():
    assert "not a string" in validate_credit_code(913501001000100)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "9135", "91350100M000100Y43", "91350100I000100Y"])
def test_R8_check_digit_rejects_malformed_input(bad):
    with pytest.raises(ValueError):
        check_digit(bad)


first17s = st.text(alphabet=VALID_CHARS, min_size=17, max_size=17)


@given(first17=first17s)
def test_R8_property_any_17_valid_chars_plus_check_digit_validates(first17):
    c = check_digit(first17)
    assert c in ALPHABET
    assert validate_credit_code(first17 + c) is None


@given(first17=first17s, last=st.sampled_from(VALID_CHARS))
def test_R8_property_any_other_last_char_fails(first17, last):
    expected = check_digit(first17)
    reason = validate_credit_code(first17 + last)
    if last == expected:
        assert reason is None
    else:
        assert reason == f"wrong check digit {last!r}, expected {expected!r}"


@given(first17=first17s, last=st.characters(exclude_characters=VALID_CHARS))
def test_R8_property_last_char_outside_alphabet_fails_as_bad_character(first17, last):
    reason = validate_credit_code(first17 + last)
    assert reason is not None and reason.startswith(f"bad character {last!r} at position 18")


@given(first17=first17s, pos=st.integers(min_value=0, max_value=16), data=st.data())
def test_R8_property_single_substitution_in_first17_is_detected(first17, pos, data):
    # weights are 3**i mod 31 with 31 prime, so any single-character change alters the check
    code = first17 + check_digit(first17)
    other = data.draw(st.sampled_from([ch for ch in VALID_CHARS if ch != code[pos]]))
    mutated = code[:pos] + other + code[pos + 1 :]
    assert validate_credit_code(mutated) is not None
