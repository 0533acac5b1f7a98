"""Scene words on real photos, answered by the real detector and classifier.

The truth is the folders: every photo in pets/dogs shows a dog, every one in pets/cats a cat,
and none of faces/ shows either (checked by eye). scenes/: kite.jpg is a beach, horses.jpg and
person.jpg show horses, dog.jpg and person.jpg a dog.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from node.library.store import Library
from node.models.store import MODELS_ENV, ModelStore
from node.peer.device import Device
from node.peer.server import serve_peers
from node.search.family import search_family
from node.search.run import Answer, Hit, parse, search
from node.settings import Home
from protocol.query import Query
from tests.conftest import TESTDATA, roost_json
from tests.family.families import add_member, new_family
from tests.peer.devices import Member, make_device, owner_services
from tests.scenery import MODELS, Seen, with_models

# The library of tests/scenery.py takes minutes to index (more on a busy machine): the first
# test pays for it in its set-up, which the default 600 s timeout would cut short.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

NOW = datetime(2025, 3, 10, 14, 30)


def ask(seen: Seen, text: str) -> Answer[Hit]:
    library = seen.library()
    return search(library, parse(library, text, NOW), models=ModelStore(MODELS))


def hashes(seen: Seen, folder: Path) -> set[str]:
    return {seen.hash_of(p) for p in folder.rglob("*.jpg")}


def found(seen: Seen, answer: Answer[Hit]) -> set[str]:
    library = seen.library()
    return {str(library.file(hit.path)["hash"]) for hit in answer.hits}  # type: ignore[index]


def test_dogs_and_cats_are_found_and_faces_are_not(seen: Seen) -> None:
    dogs = hashes(seen, TESTDATA / "pets" / "dogs")
    cats = hashes(seen, TESTDATA / "pets" / "cats")
    faces = {seen.hash_of(seen.album.path(p.relative_to(TESTDATA).as_posix()))
             for p in (TESTDATA / "faces").rglob("*.jpg")}  # fmt: skip
    by_dog, by_cat = found(seen, ask(seen, "dog")), found(seen, ask(seen, "cats"))
    assert len(dogs & by_dog) / len(dogs) >= 0.90
    assert len(cats & by_cat) / len(cats) >= 0.85
    assert len(faces & (by_dog | by_cat)) / len(faces) <= 0.02
    assert by_dog == found(seen, ask(seen, "puppies"))  # a synonym and a plural


def test_scene_photos(seen: Seen) -> None:
    def names(text: str) -> set[str]:
        return {Path(hit.path).name for hit in ask(seen, text).hits if "/scenes/" in hit.path}

    assert "kite.jpg" in names("beach")
    assert {"horses.jpg", "person.jpg"} <= names("horse")
    assert {"dog.jpg", "person.jpg"} <= names("dog")
    assert names("giraffe") == {"giraffe.jpg"}  # a COCO name no everyday entry lists


def test_words_combine_with_dates(seen: Seen) -> None:
    # "photos of the dog in 2014": scenes/dog.jpg is from 2014-09-19; person.jpg from 2013
    answer = ask(seen, "photos of the dog in 2014")
    assert answer.query.text == ("dog",)
    assert "scenes/dog.jpg" in {hit.path.split("testdata/")[-1] for hit in answer.hits}
    assert all(hit.taken_at.startswith("2014") for hit in answer.hits)


def test_a_word_nothing_covers_is_reported(seen: Seen) -> None:
    answer = ask(seen, "horse zoo")
    assert any("called zoo" in note for note in answer.notes)
    assert {Path(hit.path).name for hit in answer.hits} >= {"horses.jpg", "person.jpg"}


def test_the_query_a_family_device_receives_finds_the_same(seen: Seen) -> None:
    library = seen.library()
    query = parse(library, "dog at the beach", NOW)
    received = Query.from_dict(query.to_dict())
    assert received.text == ("dog", "beach")
    local = search(library, query, models=ModelStore(MODELS))
    remote = search(library, received, models=ModelStore(MODELS))
    assert [h.path for h in local.hits] == [h.path for h in remote.hits]


def test_a_scene_word_sent_to_a_family_device_finds_its_photos_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the real Search RPC over mutual TLS on loopback: the asker has no photo; the
    owner (scenes/ indexed with the models) reads the words and answers."""
    monkeypatch.setenv(MODELS_ENV, str(MODELS))
    asker_identity = add_member(new_family(tmp_path, admin="owner"), tmp_path, "asker")
    roost_json("index", TESTDATA / "scenes", home=tmp_path / "owner", env=with_models())
    owner = Member(Device.load(Home(tmp_path / "owner")))
    asker = Member(make_device(asker_identity.directory.parent))
    owner.server, greeter = serve_peers(
        "127.0.0.1:0", owner.device.identity, owner.device.revocations, owner.device.directory,
        owner_services(owner.device),
    )  # fmt: skip
    try:
        asker.device.directory.record(
            owner.device.identity.member, address=f"127.0.0.1:{greeter.listen_port}"
        )
        library = asker.device.library
        query = parse(library, "horses", NOW)
        assert query.text == ("horses",)
        answer = search_family(library, query, asker.device, deadline=30)
    finally:
        owner.stop()
    there = answer.devices[1]
    assert (there.name, there.answered, there.error) == ("owner", True, None)
    mine = owner.device.library
    shown = search(mine, parse(mine, "horses", NOW))  # what the owner finds for itself
    horses = {hash_of(mine, TESTDATA / "scenes" / n) for n in ("horses.jpg", "person.jpg")}
    assert (
        horses
        <= {hit.media for hit in answer.hits}
        == {hash_of(mine, Path(hit.path)) for hit in shown.hits}
    )
    assert {hit.device for hit in answer.hits} == {"owner"}
    assert not any("analysed" in note for note in shown.notes)

    # A photo the scene stages have not run on yet is reported, with the count.
    kite = hash_of(mine, TESTDATA / "scenes" / "kite.jpg")
    mine.stages.delete(f"stage IN ('objects', 'scene-labels') AND hash = '{kite}'")
    partial = search(mine, parse(mine, "horses", NOW))
    photos = len(list((TESTDATA / "scenes").glob("*.jpg")))
    assert f"only {photos - 1} of {photos} photos have been analysed" in " ".join(partial.notes)


def hash_of(library: Library, path: Path) -> str:
    record = library.file(str(path))
    assert record is not None, path
    return str(record["hash"])


def test_without_the_models_scene_words_are_not_answered(seen: Seen, tmp_path: Path) -> None:
    library = seen.library()
    answer = search(library, parse(library, "dog", NOW), models=ModelStore(tmp_path))
    assert answer.hits  # the rows are in the library: the vocabulary needs no model file
    assert answer.hits == ask(seen, "dog").hits
