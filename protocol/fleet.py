"""The federated-learning tunnel's one message: who a SuperNode is, before Flower speaks.

A node's Flower SuperNode reaches the coordinator's SuperLink only through Roost's mutual-TLS
tunnel (`node/model/tunnel.py` → `coordinator/relay.py`). The first bytes a node sends in it are
this preamble: a magic line and the SuperNode's authentication public key (OpenSSH format, EC
NIST P-384). The relay binds that key to the device id of the TLS client certificate and
registers it with the SuperLink, so SuperNode authentication keys follow family membership
without anyone copying keys around. Then both sides stop parsing and pass bytes through.

    b"ROOST-FLEET 1\\n" || u16 big-endian length || key (≤ 1 KiB)
"""

from __future__ import annotations

import struct

MAGIC = b"ROOST-FLEET 1\n"
MAX_KEY = 1024
HEADER = len(MAGIC) + 2


class FleetError(ValueError):
    """A tunnel preamble that is not one."""


def encode(public_key: bytes) -> bytes:
    if not 0 < len(public_key) <= MAX_KEY:
        raise FleetError(f"a SuperNode key is 1 to {MAX_KEY} bytes, not {len(public_key)}")
    return MAGIC + struct.pack(">H", len(public_key)) + public_key


def key_length(header: bytes) -> int:
    """The key length a preamble's fixed-size header announces; raises FleetError if the
    header is not a Roost fleet preamble."""
    if len(header) != HEADER or not header.startswith(MAGIC):
        raise FleetError("not a Roost fleet tunnel")
    (length,) = struct.unpack(">H", header[len(MAGIC) :])
    if not 0 < length <= MAX_KEY:
        raise FleetError(f"a SuperNode key of {length} bytes")
    return int(length)
