"""Talking to family devices: the mutual-TLS channel, pairing, discovery and the peer loop."""

from node.family import FamilyError


class PeerError(FamilyError):
    """A peer could not be reached, or did not prove to be the family device we meant to call."""
