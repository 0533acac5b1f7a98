"""Invite codes and the proof a joining device sends with its certificate request.

A code is 30 Crockford base32 characters (typeable: no I, L, O or U, case-insensitive, dashes
ignored) packing three things:

- the *pin*: the first 80 bits of the inviter's key fingerprint (= the first 16 characters of
  its device id). The joiner refuses any pairing server whose key does not match, so an attacker
  on the LAN would need a second preimage of 80 bits of SHA-256 to pose as the inviter;
- the *secret*: 60 random bits. The joiner proves it knows them with an HMAC over its
  certificate request, so only the holder of the code can get a certificate. The secret never
  crosses the wire and is only shown to the pinned inviter, so it can only be guessed online,
  against an inviter that forgets it after ten minutes: about 2^60 guesses would be needed;
- a 10-bit check, so a typo is reported as a typo rather than as a refusal.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from protocol.errors import RoostError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Crockford's decoding: look-alike letters read as the digits they resemble.
_ALIASES = {"O": "0", "I": "1", "L": "1"}
PIN_BYTES = 10
SECRET_BITS = 60
CHECK_BITS = 10
CODE_CHARS = (PIN_BYTES * 8 + SECRET_BITS + CHECK_BITS) // 5
GROUP_CHARS = 5
_PROOF_CONTEXT = b"roost pair v1\0"


class CodeError(RoostError):
    """Text that is not a well-formed invite code; the message says what to fix."""


@dataclass(frozen=True)
class InviteCode:
    pin: bytes
    secret: int

    @classmethod
    def generate(cls, inviter_fingerprint: bytes) -> InviteCode:
        return cls(inviter_fingerprint[:PIN_BYTES], secrets.randbits(SECRET_BITS))

    def encode(self) -> str:
        payload = self._payload()
        value = (payload << CHECK_BITS) | _check(payload)
        chars = [ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(CODE_CHARS))]
        groups = ("".join(chars[i : i + GROUP_CHARS]) for i in range(0, CODE_CHARS, GROUP_CHARS))
        return "-".join(groups)

    @classmethod
    def decode(cls, text: str) -> InviteCode:
        cleaned = "".join(_ALIASES.get(ch, ch) for ch in text.upper() if ch not in "- ")
        if len(cleaned) != CODE_CHARS:
            raise CodeError(
                f"an invite code has {CODE_CHARS} characters (dashes aside); this has "
                f"{len(cleaned)}"
            )
        value = 0
        for ch in cleaned:
            digit = ALPHABET.find(ch)
            if digit < 0:
                raise CodeError(f"{ch!r} cannot appear in an invite code")
            value = (value << 5) | digit
        payload = value >> CHECK_BITS
        if value & ((1 << CHECK_BITS) - 1) != _check(payload):
            raise CodeError("this invite code has a typo (its check does not match); retype it")
        pin = (payload >> SECRET_BITS).to_bytes(PIN_BYTES, "big")
        return cls(pin, payload & ((1 << SECRET_BITS) - 1))

    def pins(self, fingerprint: bytes) -> bool:
        """Whether a key with this fingerprint is the inviter this code names."""
        return hmac.compare_digest(self.pin, fingerprint[:PIN_BYTES])

    def _payload(self) -> int:
        return (int.from_bytes(self.pin, "big") << SECRET_BITS) | self.secret


def proof(secret: int, inviter_id: str, csr_der: bytes) -> bytes:
    """HMAC of the request under the code's secret, bound to the inviter it was meant for."""
    message = _PROOF_CONTEXT + inviter_id.encode("ascii") + b"\0" + csr_der
    return hmac.new(_secret_key(secret), message, hashlib.sha256).digest()


def proof_matches(secret: int, inviter_id: str, csr_der: bytes, claimed: bytes) -> bool:
    return hmac.compare_digest(proof(secret, inviter_id, csr_der), claimed)


def _secret_key(secret: int) -> bytes:
    return secret.to_bytes(8, "big")


def _check(payload: int) -> int:
    digest = hashlib.sha256(payload.to_bytes(18, "big")).digest()
    return int.from_bytes(digest[:2], "big") >> (16 - CHECK_BITS)
