"""Invite codes: encoding, typo detection, pinning and the joiner's proof."""

from __future__ import annotations

import hashlib

import pytest

from protocol.pairing import ALPHABET, CODE_CHARS, CodeError, InviteCode, proof, proof_matches

FINGERPRINT = hashlib.sha256(b"the inviter's key").digest()
CODE = InviteCode(FINGERPRINT[:10], 0x0ABC_DEF0_1234_5678)


def test_a_code_round_trips_and_reads_forgivingly() -> None:
    text = CODE.encode()
    assert len(text.replace("-", "")) == CODE_CHARS
    assert InviteCode.decode(text) == CODE
    sloppy = text.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert InviteCode.decode(sloppy) == CODE


def test_generated_codes_pin_the_inviter_and_differ() -> None:
    first, second = InviteCode.generate(FINGERPRINT), InviteCode.generate(FINGERPRINT)
    assert first.pins(FINGERPRINT) and second.pins(FINGERPRINT)
    assert first.secret != second.secret
    assert not first.pins(hashlib.sha256(b"an impostor's key").digest())


def test_every_single_character_typo_is_caught() -> None:
    chars = CODE.encode().replace("-", "")
    for i, ch in enumerate(chars):
        typo = chars[:i] + ALPHABET[(ALPHABET.index(ch) + 1) % 32] + chars[i + 1 :]
        with pytest.raises(CodeError, match="typo"):
            InviteCode.decode(typo)


@pytest.mark.parametrize(
    ("text", "message"),
    [("ABCDE-FGHJK", "30 characters"), ("U" * 30, "cannot appear"), ("", "30 characters")],
)
def test_malformed_codes_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(CodeError, match=message):
        InviteCode.decode(text)


def test_the_proof_binds_secret_inviter_and_request() -> None:
    good = proof(CODE.secret, "INVITER", b"csr")
    assert proof_matches(CODE.secret, "INVITER", b"csr", good)
    assert not proof_matches(CODE.secret + 1, "INVITER", b"csr", good)
    assert not proof_matches(CODE.secret, "SOMEONE", b"csr", good)
    assert not proof_matches(CODE.secret, "INVITER", b"other csr", good)
