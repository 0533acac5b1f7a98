"""Search and fetch between real devices in this process: the album's real index on one, real
mutual TLS on loopback, and a client interceptor recording every message the asker exchanges
(the privacy test: the channel is TLS, so messages are checked where they are made)."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import socket
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from PIL import Image

from node.library.store import Library
from node.peer import PeerError
from node.peer.device import Device
from node.peer.labels import LabelsService, sync_with
from node.peer.originals import Sharing, fetch, set_sharing
from node.peer.server import serve_peers
from node.people import edits
from node.search import run
from node.search.family import FamilyAnswer, search_family
from node.search.run import parse
from node.settings import Home
from node.video.timeline import Timeline
from node.video.timeline import timelines as video_timelines
from protocol.gen import roost_pb2
from protocol.search import MAX_THUMBNAIL_BYTES, THUMBNAIL_PX
from tests.albums import Album, album, copy_home
from tests.family.families import add_member, new_family
from tests.peer.devices import Member, make_device, owner_services
from tests.tui.conftest import NOW

__all__ = ["album"]


class Recorder(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
    grpc.StreamUnaryClientInterceptor,  # type: ignore[misc]
):
    """Every message the asker sends and receives, serialized, with the method it was for."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, bytes]] = []  # (method, "sent" | "received", bytes)

    def _keep(self, method: str, way: str, message: Any) -> Any:
        self.messages.append((method, way, message.SerializeToString()))
        return message

    def _requests(self, method: str, requests: Iterator[Any]) -> Iterator[Any]:
        for request in requests:
            yield self._keep(method, "sent", request)

    def _replies(self, method: str, replies: Any) -> Any:
        recorder = self

        class Replies:
            def __iter__(self) -> Iterator[Any]:
                for reply in replies:
                    yield recorder._keep(method, "received", reply)

            def cancel(self) -> bool:
                return bool(replies.cancel())

        return Replies()

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        self._keep(details.method, "sent", request)
        outcome = continuation(details, request)
        if outcome.exception() is None:
            self._keep(details.method, "received", outcome.result())
        return outcome

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        self._keep(details.method, "sent", request)
        return self._replies(details.method, continuation(details, request))

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        outcome = continuation(details, self._requests(details.method, requests))
        if outcome.exception() is None:
            self._keep(details.method, "received", outcome.result())
        return outcome


@pytest.fixture(scope="module")
def devices(album: Album, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Member]]:
    """The owner (the album indexed, Alice named) and an asker with an empty library."""
    root = tmp_path_factory.mktemp("search")
    home = copy_home(album, root / "owner")
    asker_identity = add_member(new_family(root, admin="owner"), root, "asker")
    with edits.editing(Home(home)) as library:
        face = album.face_of("faces/id00/img1.jpg", home)
        edits.name(library, face, "Alice")
    owner = Member(Device.load(Home(home)))
    asker = Member(make_device(asker_identity.directory.parent))
    for member, services in ((owner, owner_services), (asker, lambda d: (LabelsService(d),))):
        device = member.device
        member.server, greeter = serve_peers(
            "127.0.0.1:0", device.identity, device.revocations, device.directory, services(device)
        )
        member.address = f"127.0.0.1:{greeter.listen_port}"
    asker.device.directory.record(owner.device.identity.member, address=owner.address)
    owner.device.directory.record(asker.device.identity.member, address=asker.address)
    try:
        yield [owner, asker]
    finally:
        owner.stop()
        asker.stop()


def ask(asker: Member, text: str, **options: Any) -> FamilyAnswer:
    library = asker.device.library
    query = parse(library, text, NOW)
    return search_family(library, query, asker.device, **options)


def test_a_name_known_only_on_the_other_device_finds_its_photos(devices: list[Member]) -> None:
    owner, asker = devices
    answer = ask(asker, "Alice")  # not synced yet: only the owner knows the name
    assert answer.query.unknown_names == ("Alice",)
    assert answer.hits and {h.device_id for h in answer.hits} == {owner.device.id}
    assert all(h.path is None and h.device == "owner" and "Alice" in h.people for h in answer.hits)
    here, there = answer.devices
    assert (here.name, here.answered, here.hits) == ("asker", True, 0)
    assert (there.name, there.answered, there.hits) == ("owner", True, len(answer.hits))


def test_answering_a_device_looks_up_no_path_nor_video_timeline_of_its_own(
    devices: list[Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hit on the wire has neither (nothing that means something only on one device), so
    the answering device does not read them; the asker's own search still does."""
    owner, asker = devices
    read: list[tuple[str, Path]] = []
    paths = Library.paths_by_hash

    def paths_by_hash(library: Library, hashes: Iterable[str]) -> dict[str, list[str]]:
        read.append(("paths", library.root))
        return paths(library, hashes)

    def timelines_of(library: Library, *args: Any) -> dict[str, Timeline]:
        read.append(("timelines", library.root))
        return video_timelines(library, *args)

    monkeypatch.setattr(Library, "paths_by_hash", paths_by_hash)
    monkeypatch.setattr(run, "timelines", timelines_of)
    answer = ask(asker, "Alice")
    assert answer.hits and {h.device_id for h in answer.hits} == {owner.device.id}
    mine = asker.device.library.root
    assert sorted(read) == [("paths", mine), ("timelines", mine)]


def test_after_sync_the_name_is_known_and_hits_carry_bounded_thumbnails(
    album: Album, devices: list[Member]
) -> None:
    owner, asker = devices
    sync_with(asker.device, owner.peer, time.monotonic() + 20)
    answer = ask(asker, "Alice in Paris")
    # Alice is synced now; Paris the asker cannot know (no photo of its own is there): the
    # owner reads it as a place of its own.
    assert answer.query.subjects == ("Alice",) and answer.query.unknown_names == ("Paris",)
    assert not any("nobody is named" in note for note in answer.notes)
    library = owner.device.library
    paris = ("faces/id00/img2.jpg", "faces/id00/img4.jpg")
    expected = {_sha256(album.path(p)) for p in paris}
    assert {hit.media for hit in answer.hits} == expected
    for hit in answer.hits:
        with Image.open(io.BytesIO(hit.thumbnail)) as image:
            assert max(image.size) <= THUMBNAIL_PX and image.format == "JPEG"
        assert len(hit.thumbnail) <= MAX_THUMBNAIL_BYTES
        assert library.paths_of(hit.media), "the hit names the owner's photo by content hash"
    assert {h.place for h in answer.hits} == {"Paris, Ile-de-France, France"}
    local = ask(asker, "Alice", local=True)
    assert local.hits == [] and [d.name for d in local.devices] == ["asker"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fetch_obeys_the_owners_setting_checks_the_hash_and_is_logged(
    album: Album, devices: list[Member], tmp_path: Path
) -> None:
    owner, asker = devices
    media = _sha256(album.path("faces/id00/img1.jpg"))
    set_sharing(owner.device.home, Sharing.NEVER)
    with pytest.raises(PeerError, match=r"PERMISSION_DENIED.*does not share originals"):
        fetch(asker.device, owner.peer, media, tmp_path)
    set_sharing(owner.device.home, Sharing.FAMILY)
    fetched = fetch(asker.device, owner.peer, media, tmp_path)
    assert fetched.path.read_bytes() == album.path("faces/id00/img1.jpg").read_bytes()
    assert fetched.path.name == f"{media[:16]}.jpg"
    with pytest.raises(PeerError, match="NOT_FOUND"):
        fetch(asker.device, owner.peer, "0" * 64, tmp_path)
    log = [json.loads(line) for line in owner.device.home.transfers.read_text().splitlines()]
    assert [(e["media"], e["outcome"], e["device"]) for e in log[-3:]] == [
        (media, "refused: sharing is never", "asker"),
        (media, "sent", "asker"),
        ("0" * 64, "refused: not here", "asker"),
    ]
    assert log[-2]["bytes"] == fetched.size and log[-2]["device_id"] == asker.device.id
    assert not list(tmp_path.glob(".fetch-*")), "no partial file is left behind"


def test_dead_and_stuck_devices_cost_the_deadline_and_are_reported(
    devices: list[Member], tmp_path: Path
) -> None:
    _, asker = devices
    admin = new_family(tmp_path, admin="spare")  # ids for devices that never answer
    ghost, stuck = (add_member(admin, tmp_path, n).member for n in ("ghost", "stuck"))
    with socket.socket() as closed, socket.socket() as silent:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts TCP, never speaks TLS
        home = asker.device.home
        directory = asker.device.directory
        directory.record(ghost, address=f"127.0.0.1:{closed.getsockname()[1]}")
        directory.record(stuck, address=f"127.0.0.1:{silent.getsockname()[1]}")
        try:
            answer = ask(asker, "Alice", deadline=2.0)
        finally:
            rows = json.loads(home.devices.read_text())
            for gone in (ghost.id, stuck.id):
                rows.pop(gone)
            home.devices.write_text(json.dumps(rows))
    by_name = {d.name: d for d in answer.devices}
    assert by_name["owner"].answered and by_name["owner"].hits == len(answer.hits) > 0
    for name in ("ghost", "stuck"):
        assert not by_name[name].answered and by_name[name].error
    assert any("ghost did not answer" in note for note in answer.notes)


def test_only_label_metadata_hits_and_fetched_originals_leave_the_owner(
    album: Album, devices: list[Member], tmp_path: Path
) -> None:
    """Every message of a sync, a search and a fetch, recorded at the asker's end."""
    owner, asker = devices
    recorder = Recorder()
    watched = dataclasses.replace(asker.device, interceptors=(recorder,))
    owner.device.home.sharing.unlink(missing_ok=True)
    set_sharing(owner.device.home, Sharing.FAMILY)
    watched_member = Member(watched, asker.address)
    sync_with(watched, owner.peer, time.monotonic() + 20)
    watched_member.name_new("Bob")
    sync_with(watched, owner.peer, time.monotonic() + 20)
    library = watched.library
    answer = search_family(library, parse(library, "Alice", NOW), watched)
    assert answer.hits
    fetched_media = answer.hits[0].media
    fetch(watched, owner.peer, fetched_media, tmp_path)

    methods = {method.rsplit("/", 1)[1] for method, _, _ in recorder.messages}
    assert methods >= {"Pull", "Vector", "Push", "Find", "Fetch"}
    outside_fetch = [m for method, _, m in recorder.messages if not method.endswith("/Fetch")]
    everything = [m for _, _, m in recorder.messages]

    rows = owner.device.library.faces.search().select(["embedding", "thumbnail"]).limit(None)
    faces = rows.to_arrow().to_pylist()
    assert faces
    for face in faces:
        vector = np.asarray(face["embedding"], np.float32).tobytes()
        # The end of a JPEG is its entropy-coded pixels; its start, tables every JPEG shares.
        crop = face["thumbnail"][-258:-2]
        for message in everything:
            assert vector[:32] not in message, "an embedding went out"
            assert crop not in message, "a face crop went out"

    originals = {
        media: Path(paths[0]).read_bytes()
        for media, paths in owner.device.library.paths_by_hash(
            owner.device.library.media_hashes()
        ).items()
    }
    for data in originals.values():
        middle = data[len(data) // 2 : len(data) // 2 + 512]
        assert not any(middle in m for m in outside_fetch), "an original went out unasked"
    fetched = originals[fetched_media]
    sample = fetched[len(fetched) // 2 : len(fetched) // 2 + 512]
    assert any(sample in m for m in everything), "the fetched original is what Fetch carried"

    for method, way, message in recorder.messages:
        if method.endswith("/Find") and way == "received":
            for hit in roost_pb2.SearchReply.FromString(message).hits:
                assert 0 < len(hit.thumbnail) <= MAX_THUMBNAIL_BYTES
                with Image.open(io.BytesIO(hit.thumbnail)) as image:
                    assert max(image.size) <= THUMBNAIL_PX
