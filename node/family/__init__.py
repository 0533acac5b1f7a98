"""This device's membership of a family, kept on disk: identity, invites, devices, revocations."""

from pathlib import Path

from protocol.errors import RoostError

DEVICE_CERT = "device.crt"  # in the identity directory (`node.family.identity`)


class FamilyError(RoostError):
    """A refusal the user can act on: no family yet, a bad invite, an unknown device, ..."""


def has_identity(directory: Path) -> bool:
    """Whether this home has joined a family: its device certificate is there. Answered
    without the cryptography that loading the identity takes, for commands that only ask."""
    return (directory / DEVICE_CERT).exists()
