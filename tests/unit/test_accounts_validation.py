"""The password rules of accounts' validation (NIST SP 800-63B), by example and by property."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from orchid.services.accounts.schemas import Registration
from orchid.services.accounts.validation import PASSWORD_MAX, PASSWORD_MIN, check_password

EMAIL, NAME = "meera.iyer@example.in", "Meera Iyer"
PERSONAL = (EMAIL, NAME, "+919812345678")
# What the rules answer, each a distinct start: a refusal says which rule and never echoes input.
SHORT, LONG = "must be at least 8 characters", "must be at most 256 characters"
CONTROL, PATTERN = "must not contain control characters", "must not be a repeated or sequential"
COMMON, PERSONAL_WORDS = "is too common", "must not be made of your email, name or phone"
REFUSALS = (SHORT, LONG, CONTROL, PATTERN, COMMON, PERSONAL_WORDS)


def refusal(password: str, personal: tuple[str, ...] = PERSONAL) -> str:
    """Return the message `check_password` refuses `password` with."""
    with pytest.raises(ValueError) as refused:
        check_password(password, personal=personal)
    return str(refused.value)


# -- the outside probe's six passwords, and one of each kind ---------------------------------------

@pytest.mark.parametrize(("password", "rule"), [
    ("aaaaaaaaaa", PATTERN),
    ("password12", COMMON),
    ("qwertyuiop", COMMON),
    (EMAIL, PERSONAL_WORDS),
    (" " * 10, PATTERN),
    ("\x00" * 10, CONTROL),
])
def test_the_probes_passwords_are_refused(password: str, rule: str) -> None:
    assert refusal(password).startswith(rule)


@pytest.mark.parametrize(("password", "rule"), [
    ("kohl-42", SHORT),                        # 7 code points
    ("cafe\u0301s!x", SHORT),                  # 8 typed, 7 after NFC composes "é"
    ("x" * 200 + "-saffron-" + "y" * 60, LONG),
    ("saffron\trose", CONTROL), ("saffron\nrose", CONTROL), ("saffron-rose\x7f", CONTROL),
    ("saffron-rose\ud800", CONTROL),           # a lone surrogate, which UTF-8 cannot carry
    ("aaaaaaaa", PATTERN), ("12345678", PATTERN), ("abcdefgh", PATTERN), ("87654321", PATTERN),
    ("ZYXWVUTSRQ", PATTERN), ("7890123456", PATTERN), ("abcabcabc", PATTERN),
    ("passpass", PATTERN), ("1234abcd", PATTERN), ("aaaa1111bbbb", PATTERN), ("ababababc", PATTERN),
    ("PassWord", COMMON), ("iloveyou", COMMON), ("p@ssw0rd", COMMON), ("dragon2024!", COMMON),
    ("!!sunshine!!", COMMON), ("beautiful", COMMON),
    ("meera.iyer", PERSONAL_WORDS), ("Iyer1990!", PERSONAL_WORDS), ("iyer-meera", PERSONAL_WORDS),
    ("meera-password", PERSONAL_WORDS), ("9812345678", PATTERN), ("9812345678-x", PERSONAL_WORDS),
    ("orchid-beauty-1", PERSONAL_WORDS), ("Orchid-Orchid", PERSONAL_WORDS),
    ("ĀāĂăĄąĆć", PATTERN), ("AbCdEfGhIj", PATTERN),
])
def test_each_kind_of_weak_password_is_refused_with_its_reason(password: str, rule: str) -> None:
    assert refusal(password).startswith(rule)


def test_messages_say_what_to_do() -> None:
    for password in ("short", "aaaaaaaaaa", "password12", EMAIL):
        assert refusal(password).endswith("try three or four unrelated words")
    assert "letters, digits, spaces and symbols" in refusal("\x00" * 10)


@pytest.mark.parametrize("password", [
    "saffron-rose-42",                  # the README's example
    "kajal-and-kohl", "Sh@kti#2024! & <3 chai", "Tr0ub4dor&3; it's-mine",
    "correct horse battery staple", "मेरा नाम गुलाब है", "ಮಲ್ಲಿಗೆ ಹೂವು ೪೨", "沙发上的猫很安静",
    "meera loves monsoon rain",          # her name, but with plenty of her own around it
    "x" * 5 + "saffron-rose" + "z" * 5,
])
def test_strong_passwords_are_accepted_without_composition_rules(password: str) -> None:
    assert check_password(password, personal=PERSONAL) == unicodedata.normalize("NFC", password)


def test_lengths_count_code_points_after_nfc() -> None:
    decomposed = "cafe\u0301-au-lait"  # 13 code points typed, 12 once "é" is composed
    assert check_password(decomposed) == "café-au-lait" and len(check_password(decomposed)) == 12
    assert check_password("kohl+tea") == "kohl+tea"  # exactly PASSWORD_MIN
    assert len(check_password("saffron-rose-42" * 17 + "z")) == PASSWORD_MAX


def test_context_words_come_only_from_the_account_given() -> None:
    assert check_password("meera.iyer-x") == "meera.iyer-x"  # no account: nothing personal
    assert refusal("meera.iyer-x").startswith(PERSONAL_WORDS)
    assert check_password("li-and-yu-at-sea", personal=("li@example.in", "Li Yu"))  # too short


# -- where a password is set -----------------------------------------------------------------------

def test_registration_refuses_a_password_made_of_its_own_email_or_name() -> None:
    for password in (EMAIL, "meera-iyer-1", "IyerMeera2024"):
        with pytest.raises(ValidationError) as caught:
            Registration(email=EMAIL, name=NAME, password=password)
        error = caught.value.errors()[0]
        assert error["loc"] == ("password",) and PERSONAL_WORDS in error["msg"]
    ok = Registration(email=EMAIL, name=NAME, password="monsoon-jasmine-tea")
    assert ok.password == "monsoon-jasmine-tea"
    # Another account may use it: the rule is about this account's own words.
    assert Registration(email="asha@example.in", name="Asha", password="meera-iyer-1")


def test_registration_with_a_bad_email_still_checks_the_password_alone() -> None:
    with pytest.raises(ValidationError) as caught:
        Registration(email="not-an-email", name=NAME, password="password12")
    assert {error["loc"][0] for error in caught.value.errors()} == {"email", "password"}


# -- properties ------------------------------------------------------------------------------------

# The first example loads the lists (a tenth of a second), and tests assert no timings anyway.
UNTIMED = settings(deadline=None)
WORDS = ("saffron", "monsoon", "jasmine", "kohl", "teak", "lotus", "tamarind", "cardamom",
         "peacock", "banyan", "marigold", "chutney", "veena", "sitar", "rangoli", "henna")


@UNTIMED
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=300))  # surrogates too
def test_any_text_is_accepted_normalised_or_refused_with_a_known_reason(text: str) -> None:
    try:
        accepted = check_password(text, personal=PERSONAL)
    except ValueError as exc:
        assert str(exc).startswith(REFUSALS)
        return
    assert accepted == unicodedata.normalize("NFC", text)
    assert PASSWORD_MIN <= len(accepted) <= PASSWORD_MAX
    accepted.encode()  # hashable as UTF-8: no lone surrogates got through
    assert check_password(accepted, personal=PERSONAL) == accepted  # normalising is idempotent


@UNTIMED
@given(st.lists(st.sampled_from(WORDS), min_size=3, max_size=5, unique=True),
       st.sampled_from(" -._"), st.integers(min_value=0, max_value=99))
def test_three_or_more_unrelated_words_are_accepted(words: list[str], separator: str,
                                                    number: int) -> None:
    password = separator.join(words) + f"{separator}{number}"
    assert check_password(password, personal=PERSONAL) == password


# Characters that NFC and case-folding keep as one character each, and that compose with no
# neighbour: glued to another chunk or word they stay what they were.
PLAIN = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Mn", "Mc", "Me")).filter(
    lambda ch: len(ch.casefold()) == 1 and len(unicodedata.normalize("NFC", ch)) == 1
    and not 0x1100 <= ord(ch) <= 0x11FF)  # Hangul jamo compose with their neighbours


@UNTIMED
@given(st.text(alphabet=PLAIN, min_size=1, max_size=4), st.integers(min_value=2, max_value=64))
def test_a_short_chunk_repeated_is_refused(chunk: str, times: int) -> None:
    password = chunk * max(times, -(-PASSWORD_MIN // len(chunk)))
    assume(len(password) <= PASSWORD_MAX)
    assert refusal(password, personal=()).startswith((PATTERN, COMMON))


@UNTIMED
@given(st.integers(min_value=0x21 + 40, max_value=0x2FFF), st.integers(min_value=8, max_value=40),
       st.sampled_from((1, -1)))
def test_runs_of_consecutive_code_points_are_refused(start: int, length: int, step: int) -> None:
    password = "".join(chr(start + step * i) for i in range(length))
    # Only runs of printable characters that NFC leaves alone.
    assume(password == unicodedata.normalize("NFC", password))
    assume(all(unicodedata.category(ch)[0] not in "CZ" for ch in password))
    assert refusal(password, personal=()).startswith((PATTERN, COMMON))


@UNTIMED
@given(st.sampled_from(("meera", "iyer", "meera.iyer", EMAIL, "9812345678", "orchid")),
       st.text(alphabet=PLAIN, max_size=PASSWORD_MIN - 1), st.booleans())
def test_a_personal_word_with_a_short_rest_is_refused(word: str, rest: str, before: bool) -> None:
    assert refusal(rest + word if before else word + rest).startswith(REFUSALS)
