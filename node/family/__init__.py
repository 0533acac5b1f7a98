"""This device's membership of a family, kept on disk: identity, invites, devices, revocations."""

from protocol.errors import RoostError


class FamilyError(RoostError):
    """A refusal the user can act on: no family yet, a bad invite, an unknown device, ..."""
