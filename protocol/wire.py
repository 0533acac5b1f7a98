"""Constants both ends of a connection must agree on: versions, the mDNS service, size limits."""

from __future__ import annotations

# Bumped when a change to roost.proto or to these rules would confuse an older peer.
PROTOCOL_VERSION = 1

# mDNS: one service per device, named after its device id. TXT records carry nothing personal:
# the device id, the protocol version and, on devices that can invite, the pairing port.
SERVICE_TYPE = "_roost._tcp.local."
TXT_DEVICE_ID = "id"
TXT_PROTOCOL_VERSION = "pv"
TXT_PAIRING_PORT = "pair"

# The pairing listener defaults to the next port up.
DEFAULT_PEER_PORT = 47470

# Largest message either side accepts. Later RPCs (search results with thumbnails, model
# updates) will raise the peer limit per method; nothing in this protocol version comes close.
MAX_PEER_MESSAGE_BYTES = 1 << 20
# A certificate request in, three certificates and the revocation list out.
MAX_PAIRING_MESSAGE_BYTES = 64 << 10

# Longest deadline a server accepts for one call; a call without a deadline is refused, so a
# stalled peer cannot hold a worker forever.
MAX_CALL_SECONDS = 60.0
