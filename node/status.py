"""`roost status` and the TUI's status line: one reading of the node's home.

The library's counts (photos, videos, faces, people, pets), its folders, the node's indexing as
it publishes it (`node.watch.progress`), who writes the index now, the running node, and the
family's devices with their last contact. Reading never waits on a lock and never loads a
vector, so the TUI can poll it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from node.family import has_identity
from node.family import identity as identity_files
from node.family.directory import Directory
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.files import holder
from node.folders import library_folders, online
from node.library.store import Library
from node.media.formats import VIDEO_SUFFIXES
from node.peer.status import Exchange, Heard, PeerStatus
from node.people.state import State, read_state
from node.running import running_node
from node.settings import Home
from node.watch import progress
from protocol.labels import Kind

# What the video stage's files end with; anything else in the library is a photo.


@dataclass(frozen=True)
class FamilyDevice:
    id: str
    name: str
    last_seen: datetime | None
    addresses: tuple[str, ...]
    revoked: bool
    sync: Heard | None = None  # the last label sync with it
    search: Heard | None = None  # the last search it was asked

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "last_seen": None if self.last_seen is None else self.last_seen.isoformat(),
            "revoked": self.revoked,
            "last_sync": _heard(self.sync),
        }


@dataclass(frozen=True)
class Family:
    name: str
    this_device: FamilyDevice
    is_admin: bool
    others: list[FamilyDevice]  # by name


@dataclass(frozen=True)
class Counts:
    photos: int
    videos: int
    faces: int
    people: int
    pets: int
    clusters: int  # unnamed
    suggestions: int

    @classmethod
    def of(cls, library: Library, state: State) -> Counts:
        kinds = [subject.kind for subject in state.labels.subjects.values()]
        videos = _videos(library)
        return cls(
            photos=library.media.count_rows() - videos,
            videos=videos,
            faces=library.faces.count_rows(),
            people=kinds.count(Kind.PERSON),
            pets=kinds.count(Kind.PET),
            clusters=sum(1 for row in state.subjects() if row.kind == "cluster"),
            suggestions=len(state.suggestions()),
        )


@dataclass(frozen=True)
class Node:
    pid: int
    port: int | None  # None: in no family, serving no peers
    indexing: dict[str, Any] | None  # what its indexing published (`node.watch.progress`)


def family(home: Home) -> Family | None:
    """This device's family and the other devices it knows, with what was last heard from each
    over sync and search; None in no family yet."""
    if not has_identity(home.identity):
        return None
    identity = identity_files.load(home.identity)
    revocations = RevocationStore(home.identity / REVOCATION_FILE, identity.ca_certificate)
    revoked = revocations.current()
    known = Directory(home.devices).all()
    heard = PeerStatus(home.peer_status).all()
    others = [
        FamilyDevice(
            record.id,
            record.name,
            record.last_seen,
            record.addresses,
            revoked is not None and revoked.revokes(record.id),
            heard.get(record.id, {}).get(Exchange.SYNC),
            heard.get(record.id, {}).get(Exchange.SEARCH),
        )
        for record in sorted(known.values(), key=lambda r: (r.name.casefold(), r.id))
        if record.id != identity.device_id
    ]
    this = FamilyDevice(identity.device_id, identity.name, None, (), False)
    return Family(identity.family_name, this, identity.is_admin, others)


def node(home: Home) -> Node | None:
    """The node running for this home, with its indexing progress; None when none runs."""
    running = running_node(home)
    if running is None:
        return None
    published = progress.read(home.indexing)
    if published is not None and published.get("pid") != running.pid:
        published = None  # left by an earlier node
    return Node(running.pid, running.port, published)


def writer(home: Home) -> str | None:
    """Who writes the index now (e.g. "pid 4242"), without waiting."""
    return holder(home.library_lock)


def report(home: Home) -> dict[str, Any]:
    """The `roost status --json` contract (README, "Status")."""
    chosen = library_folders(home)
    counts = None
    if (home.library / "library.json").exists():
        library = Library.open(home.library)
        counts = vars(Counts.of(library, read_state(library)))
    running = node(home)
    known = family(home)
    return {
        "home": str(home.root),
        "config": str(home.config_file),
        "folders": [{"path": f, "online": online(f)} for f in chosen.folders],
        "folders_remembered": chosen.remembered,
        "library": counts,
        "writer": writer(home),
        "node": None
        if running is None
        else {"pid": running.pid, "port": running.port, "indexing": running.indexing},
        "family": None
        if known is None
        else {
            "name": known.name,
            "this_device": known.this_device.id,
            "devices": [d.to_json() for d in known.others],
        },
    }


def _heard(heard: Heard | None) -> dict[str, Any] | None:
    return (
        None
        if heard is None
        else {"at": heard.at, "answered": heard.answered, "error": heard.error}
    )


def _videos(library: Library) -> int:
    """Files indexed under a video file name (counted in the table, not read out)."""
    likes = " OR ".join(f"lower(path) LIKE '%{suffix}'" for suffix in sorted(VIDEO_SUFFIXES))
    return int(library.files.count_rows(likes))


def indexing_text(published: dict[str, Any] | None) -> str:
    """The node's indexing in a few words: the TUI's status line says the same."""
    if published is None:
        return "indexing: starting"
    state, run, detail = published["state"], published["run"], published["detail"]
    if state == "indexing" and run is not None:
        text = f"indexing {run['done']}/{run['total']} ({run['reason']}), {run['rate']:.1f} files/s"
    elif state in ("paused", "waiting", "failed"):
        text = f"indexing {state}: {detail}"
    else:
        text = f"indexing {state}"
    if published["pending"]:
        text += f", {published['pending']} changes pending"
    if published["offline"]:
        text += f", {len(published['offline'])} folders offline"
    return text
