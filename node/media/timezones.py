"""The time zone at a position on Earth, offline.

timezonefinder looks the point up in the timezone-boundary-builder polygons (OpenStreetMap
data, shipped in the timezonefinder-data wheel), without simplifying them: a photo near a state
line gets the zone of the side it was taken on (Colorado is America/Denver, not "the first zone
at −07:00", which would be Phoenix, which keeps no summer time). It is maintained, has no
network path, and answers in well under a millisecond once loaded. The finder loads on the first
lookup only, so runs without positions never pay for it.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_lock = threading.Lock()  # decoding runs in threads; the finder reads shared files


@cache
def _finder() -> Any:
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def zone_at(lat: float | None, lon: float | None) -> ZoneInfo | None:
    """The IANA zone at (lat, lon); None without a position, at sea, or for a zone this
    system's tz database does not know."""
    if lat is None or lon is None:
        return None
    with _lock:
        name = _finder().timezone_at(lat=lat, lng=lon)
    if not name or name.startswith("Etc/"):  # the open sea: no one's wall clock
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
