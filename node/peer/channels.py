"""Open channels to family devices, kept for the next call.

A new gRPC channel costs a TCP connect and a mutual-TLS handshake before the first byte of a
request, which on a family search is most of the time a device takes to answer. The node
keeps one channel per (address, device id) and reuses it: gRPC channels are safe to share
between threads and reconnect by themselves. A channel whose call found the device
unreachable is dropped, not kept, so the next call dials afresh instead of waiting out gRPC's
reconnect backoff; a revoked device's channel is dropped before any call would use it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import grpc

Key = tuple[str, str]  # (address, device id)


class Channels:
    def __init__(self, open_channel: Callable[[str, str], grpc.Channel]) -> None:
        self._open = open_channel
        self._lock = threading.Lock()
        self._open_channels: dict[Key, grpc.Channel] = {}

    def get(self, address: str, device_id: str) -> grpc.Channel:
        """The open channel to `device_id` at `address`, opened now if there is none."""
        key = (address, device_id)
        with self._lock:
            channel = self._open_channels.get(key)
            if channel is None:
                channel = self._open_channels[key] = self._open(address, device_id)
            return channel

    def drop(self, address: str, device_id: str) -> None:
        """Close the channel to `device_id` at `address`, if one is open."""
        with self._lock:
            channel = self._open_channels.pop((address, device_id), None)
        if channel is not None:
            channel.close()

    def drop_device(self, device_id: str) -> None:
        """Close every channel to `device_id` (it was revoked)."""
        with self._lock:
            keys = [key for key in self._open_channels if key[1] == device_id]
        for address, _ in keys:
            self.drop(address, device_id)

    def close(self) -> None:
        with self._lock:
            channels, self._open_channels = list(self._open_channels.values()), {}
        for channel in channels:
            channel.close()

    def __len__(self) -> int:
        with self._lock:
            return len(self._open_channels)
