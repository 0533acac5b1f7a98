"""What the TUI reads and writes, as calls into the node: nothing here decides who anyone is.

People, faces and suggestions come from `node.people.state` (the materialised per-face table,
so a screen lists 10,000 faces without loading them); thumbnails are fetched for the faces on
screen only; searches go through `node.search.run` exactly as `roost search` does; and every
label edit is a function of `node.people.edits` called under its labels lock, as `roost name`
and the other commands call them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image

from node import status
from node.family import FamilyError
from node.index.run import IndexOptions
from node.library.store import Library
from node.media.decode import decode
from node.peer.device import Device
from node.peer.originals import fetch
from node.peer.status import Exchange, PeerStatus
from node.people import edits
from node.people.clusters import clusters_table
from node.people.events import EVENTS
from node.people.state import State, read_state
from node.places import places_of
from node.search.family import FamilyAnswer, FamilyHit, search_family
from node.search.run import parse
from node.settings import Home
from node.status import Family
from protocol.labels import Labels

Edit = Callable[[Library], edits.Change]


@dataclass(frozen=True)
class Overview:
    """The status line: how big the index is and what is going on around it."""

    photos: int
    faces: int
    people: int
    pets: int
    clusters: int
    suggestions: int
    node: str | None  # the running node's address, when one runs for this home
    writer: str | None  # who holds the index lock, when someone other than the node does
    devices: int | None  # other family devices known; None: no family yet
    indexing: str | None = None  # what the running node's indexing is doing, in a few words


@dataclass(frozen=True)
class FamilyModel:
    """The family face model this device scores with, for the people and devices screens."""

    version: int
    round: int
    participants: int
    people: frozenset[str]  # live subject ids it recognises by prototype


@dataclass(frozen=True)
class PhotoFace:
    id: str
    box: tuple[float, float, float, float]  # upright original pixels
    name: str | None  # who the face is (confirmed or assigned by Roost)
    suggested: str | None  # who it may be, waiting for an answer
    thumbnail: bytes


@dataclass(frozen=True)
class Photo:
    paths: list[str]  # where the same content lies on this device (copies)
    size: tuple[int, int]  # upright original pixels, the space face boxes are in
    taken_at: str
    place: str | None
    faces: list[PhotoFace]


class Roost:
    """One node home as the TUI sees it; `now` dates searches ("10 years ago") and ages."""

    def __init__(self, home: Home, now: Callable[[], datetime] = datetime.now) -> None:
        self.home = home
        self.now = now
        self.library = Library.open(home.library)

    # -- people --------------------------------------------------------------------------------

    def state(self) -> State:
        return read_state(self.library)

    def version(self) -> tuple[int, int, int]:
        """Changes whenever what the screens show may have: a label edit or an index run, made
        here or by another process."""
        log = self.library.table("label_events", EVENTS)
        events, faces, clusters = (
            int(table.version) for table in (log, self.library.faces, clusters_table(self.library))
        )
        return events, faces, clusters

    def thumbnails(self, faces: Sequence[str]) -> dict[str, bytes]:
        """The 112 px JPEG of each face: read for the faces on screen, never for all."""
        rows = self.library.faces_by_id(faces, ["thumbnail"])
        return {face: row["thumbnail"] for face, row in rows.items()}

    def edit(self, *steps: Edit) -> list[edits.Change]:
        """Run label edits in order under one hold of the library's labels lock."""
        with edits.editing(self.home) as library:
            return [step(library) for step in steps]

    # -- photos and search ---------------------------------------------------------------------

    def search(self, text: str) -> FamilyAnswer:
        """This device and every family device that answers in time, as `roost search`."""
        query = parse(self.library, text, self.now(), self.state())
        answer = search_family(self.library, query, self._device())
        if len(answer.devices) > 1:
            asked = {d.id: d.error for d in answer.devices[1:]}
            PeerStatus(self.home.peer_status).record(Exchange.SEARCH, asked)
        return answer

    def fetch(self, hit: FamilyHit, out: Path) -> Path:
        """Copy a peer's original here (`roost fetch`); PeerError/FamilyError say why not."""
        device = self._device()
        peer = next((p for p in device.peers() if p.id == hit.device_id), None) if device else None
        if device is None or peer is None:
            raise FamilyError(f"{hit.device} is not a reachable family device")
        return fetch(device, peer, hit.media, out).path

    def _device(self) -> Device | None:
        try:
            return Device.load(self.home)
        except FamilyError:
            return None

    def media_of(self, path: str) -> str | None:
        """The content hash of an indexed file (what the photo screen shows) or None."""
        record = self.library.file(path)
        return None if record is None else str(record["hash"])

    def photo(self, media_hash: str) -> Photo:
        """A photo's date, place and paths, and who each of its faces is."""
        photo = self.library.photo(media_hash)
        if photo is None:
            raise LookupError(f"photo {media_hash} is not in the index any more")
        place = places_of(self.library, [media_hash]).get(media_hash)
        state = self.state()
        rows = self.library.faces_of(media_hash, ["box", "thumbnail"])
        names = state.names_of([row["id"] for row in rows])
        subjects = state.labels.subjects
        asked = {
            row.face: subjects[row.subject].name
            for row in state.suggestions()
            if row.media_hash == media_hash and row.subject in subjects
        }
        faces = [
            PhotoFace(
                row["id"],
                tuple(row["box"]),
                names.get(row["id"]),
                asked.get(row["id"]),
                row["thumbnail"],
            )
            for row in rows
        ]
        return Photo(
            self.library.paths_of(media_hash),
            (photo["width"], photo["height"]),
            photo["taken_at"],
            place.label() if place else None,
            faces,
        )

    @staticmethod
    def picture(path: str, side: int) -> Image.Image:
        """The photo upright, at most `side` pixels long (DecodeError when it cannot be read)."""
        return decode(Path(path), work_side=side, max_pixels=IndexOptions.max_pixels).image

    # -- the node and the family ---------------------------------------------------------------

    def overview(self) -> Overview:
        state = self.state()
        counts = status.Counts.of(self.library, state)
        node = status.node(self.home)
        writer = status.writer(self.home)
        indexing = None
        if node is not None and node.indexing is not None:
            indexing = status.indexing_text(node.indexing)
            if writer == f"pid {node.pid}":
                writer = None  # the node's indexing, which `indexing` describes
        family = self.family()
        return Overview(
            photos=counts.photos + counts.videos,
            faces=counts.faces,
            people=counts.people,
            pets=counts.pets,
            clusters=counts.clusters,
            suggestions=counts.suggestions,
            node=None if node is None else f":{node.port}" if node.port else "",
            writer=writer,
            devices=None if family is None else len(family.others),
            indexing=indexing,
        )

    def family_model(self, labels: Labels) -> FamilyModel | None:
        """The current family model (its people as `labels` name them now), or None while
        this device uses the distance rules."""
        from node.model.store import ModelStore

        model = ModelStore(self.library.root).current()
        if model is None:
            return None
        people = frozenset(
            live for subject in model.known() if (live := labels.resolve(subject)) is not None
        )
        return FamilyModel(model.version, model.round, len(model.participants), people)

    def family(self) -> Family | None:
        return status.family(self.home)
