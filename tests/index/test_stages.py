"""The stage registry on real photos: done markers, a stage added to an existing library, a
format-1 library migrated in place, and re-embedding into another embedder's space."""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import lancedb
import numpy as np
import pyarrow as pa
import pytest
from PIL import Image

from node.index import registry
from node.index.run import IndexOptions, index
from node.index.stage import Needs, Stage, Work
from node.index.thumbnails import MAX_BYTES, SIDE
from node.library.schema import key_field
from node.library.store import Library, StageRows
from node.media.decode import decode
from node.people import edits
from node.people.state import read_state
from node.settings import Home
from tests.conftest import TESTDATA, roost_json
from tests.index.library_rows import table_rows

PHOTOS = [
    "faces/id00/img1.jpg",
    "multi_face/couple.jpg",
    "scenes/dog.jpg",
    "places/ianare_exif-samples/heic__IMG_5195.HEIC",
]


@pytest.fixture
def album(tmp_path: Path) -> Path:
    album = tmp_path / "album"
    album.mkdir()
    for name in PHOTOS:
        shutil.copy2(TESTDATA / name, album / Path(name).name)
    return album


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """The album indexed once by a real `roost index` (album, home, summary); tests copy it."""
    top = tmp_path_factory.mktemp("stages")
    album = top / "album"
    album.mkdir()
    for name in PHOTOS:
        shutil.copy2(TESTDATA / name, album / Path(name).name)
    summary = roost_json("index", album, home=top / "home")
    return album, top / "home", summary


def _copy(indexed: tuple[Path, Path, dict[str, Any]], to: Path) -> Path:
    shutil.copytree(indexed[1], to)
    return to


def _faces(home: Path, table: str = "faces") -> dict[str, dict[str, Any]]:
    db = lancedb.connect(str(home / "library"))
    return {r["id"]: r for r in db.open_table(table).to_arrow().to_pylist()}


def test_every_photo_gets_a_small_thumbnail_of_itself(
    indexed: tuple[Path, Path, dict[str, Any]],
) -> None:
    album, home, summary = indexed
    assert summary["stages_run"] == {"faces": len(PHOTOS), "thumbnail": len(PHOTOS),
                                     "imports": len(PHOTOS)}  # fmt: skip
    library = Library.open(home / "library")
    hashes = {p.name: library.file(str(p))["hash"] for p in album.iterdir()}  # type: ignore[index]
    thumbs = library.thumbnails([*hashes.values(), "0" * 64])
    assert set(thumbs) == set(hashes.values())  # an unknown hash is simply absent
    for name, digest in hashes.items():
        data = thumbs[digest]
        assert len(data) <= MAX_BYTES
        with Image.open(io.BytesIO(data)) as thumb:
            assert thumb.format == "JPEG"
            assert max(thumb.size) == SIDE
            pixels = np.asarray(thumb.convert("RGB"), np.float32)
        # It shows this photo, upright: the original scaled to the same size looks the same.
        reference = decode(album / name, work_side=1024, max_pixels=10**8).image
        reference = reference.resize((pixels.shape[1], pixels.shape[0]))
        error = np.abs(np.asarray(reference, np.float32) - pixels).mean()
        assert error < 8, (name, error)


def test_markers_record_each_stage_and_a_second_run_opens_nothing(
    indexed: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    album, home, _ = indexed
    home = _copy(indexed, tmp_path / "home")
    markers = table_rows(home, "stages")
    assert sorted({(m["stage"], m["version"].split("@")[0]) for m in markers}) == [
        ("faces", "mtcnn-facenet-pytorch-2.6+dlib-resnet-v1"),
        ("imports", "imports-2"),  # no sidecars beside them: no fingerprint
        ("thumbnail", "jpeg-256px-32768b"),
    ]
    assert len(markers) == 3 * len(PHOTOS)
    again = roost_json("index", album, home=home)
    assert (again["unchanged"], again["stages_run"], again["models_loaded"]) == (4, {}, [])


def test_a_stage_added_later_runs_alone_over_the_library(album: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = roost_json("index", album, "--stage", "faces", home=home)
    assert first["stages_run"] == {"faces": len(PHOTOS)}
    assert table_rows(home, "thumbnails") == []
    faces = _faces(home)

    later = roost_json("index", album, home=home)
    assert later["stages_run"] == {"thumbnail": len(PHOTOS), "imports": len(PHOTOS)}
    assert (later["indexed"], later["updated"], later["unchanged"]) == (0, len(PHOTOS), 0)
    assert later["models_loaded"] == []  # the face models were not needed, so not loaded
    assert len(table_rows(home, "thumbnails")) == len(PHOTOS)
    assert _faces(home) == faces


def test_a_new_stage_version_reruns_only_that_stage(
    indexed: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    album = indexed[0]
    home = _copy(indexed, tmp_path / "home")
    stages = lancedb.connect(str(home / "library")).open_table("stages")
    stages.update(where="stage = 'thumbnail'", values={"version": "jpeg-128px"})
    faces = _faces(home)
    again = roost_json("index", album, home=home)
    assert again["stages_run"] == {"thumbnail": len(PHOTOS)}
    assert again["models_loaded"] == []
    assert _faces(home) == faces
    assert {m["version"] for m in table_rows(home, "stages") if m["stage"] == "thumbnail"} == {
        "jpeg-256px-32768b"
    }


def _make_format_1(home: Path) -> None:
    """Rewrite a library into format 1 as earlier releases left it: no markers, no thumbnails,
    `embedder` and `face_count` in media, and `library.json` without a faces table name."""
    library = home / "library"
    db = lancedb.connect(str(library))
    media = db.open_table("media")
    counts: dict[str, int] = {}
    for face in db.open_table("faces").to_arrow().to_pylist():
        counts[face["media_hash"]] = counts.get(face["media_hash"], 0) + 1
    rows = media.to_arrow()
    rows = rows.append_column("embedder", pa.array(["dlib-resnet-v1"] * rows.num_rows))
    rows = rows.append_column(
        "face_count", pa.array([counts.get(h, 0) for h in rows["hash"].to_pylist()], pa.int32())
    )
    db.drop_table("media")
    db.create_table("media", rows)
    db.drop_table("stages")
    db.drop_table("thumbnails")
    db.drop_table("photo_sources")
    (library / "library.json").write_text(
        json.dumps({"format": 1, "embedder": "dlib-resnet-v1", "dim": 128})
    )


def test_a_format_1_library_is_migrated_and_keeps_its_faces_and_labels(
    indexed: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    album = indexed[0]
    home = _copy(indexed, tmp_path / "home")
    _make_format_1(home)
    faces = _faces(home)
    alice = sorted(faces)[0]
    old = Library.open(home / "library")
    assert old.format == 1  # still readable as it is, by people and search
    edits.name(old, alice, "Alice")

    migrated = roost_json("index", album, home=home)
    meta = json.loads((home / "library" / "library.json").read_text())
    assert meta["format"] == 2 and meta["faces"] == "faces"
    # only what format 1 lacked
    assert migrated["stages_run"] == {"thumbnail": len(PHOTOS), "imports": len(PHOTOS)}
    assert migrated["models_loaded"] == []
    assert _faces(home) == faces
    assert "embedder" not in table_rows(home, "media")[0]
    library = Library.open(home / "library")
    assert read_state(library).names_of([alice]) == {alice: "Alice"}


def _facenet_checkpoint(torch_home: Path) -> None:
    """A checkpoint in FaceNet's format (VGGFace2's own weights are not shippable), so that the
    real loader runs; what the vectors mean does not matter to the mechanics tested here."""
    import torch

    from node.faces.embed import facenet_weights_path, inception_resnet_v1

    model = inception_resnet_v1()
    path = facenet_weights_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    assert str(path).startswith(str(torch_home))


def test_reembed_switches_space_keeps_faces_and_labels_and_covers_other_folders(
    indexed: tuple[Path, Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    album = indexed[0]
    home = _copy(indexed, tmp_path / "home")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy2(TESTDATA / "faces/id05/img16.jpg", elsewhere / "x.jpg")
    roost_json("index", elsewhere, home=home)
    before = _faces(home)
    alice = sorted(before)[0]
    edits.name(Library.open(home / "library"), alice, "Alice")

    torch_home = tmp_path / "torch"
    monkeypatch.setenv("TORCH_HOME", str(torch_home))
    _facenet_checkpoint(torch_home)
    env = {**os.environ, "TORCH_HOME": str(torch_home)}
    done = roost_json("index", album, "--reembed", "--embedder", "facenet-vggface2", home=home,
                      env=env)  # fmt: skip
    assert done["embedder"] == "facenet-vggface2" and done["reembed_pending"] == 0
    assert done["models_loaded"] == ["facenet-vggface2"]  # the stored detections were reused
    # also the photo outside `album`; the imports stage reads the faces, so it runs with them
    assert done["stages_run"] == {"faces": len(PHOTOS) + 1, "imports": len(PHOTOS) + 1}
    meta = json.loads((home / "library" / "library.json").read_text())
    assert (meta["embedder"], meta["dim"], "reembed" in meta) == ("facenet-vggface2", 512, False)
    tables = lancedb.connect(str(home / "library")).list_tables().tables
    assert "faces" not in tables  # the old space is gone, not mixed
    after = _faces(home, meta["faces"])
    assert after.keys() == before.keys()
    for face, row in after.items():
        assert (row["embedder"], len(row["embedding"])) == ("facenet-vggface2", 512)
        assert row["box"] == before[face]["box"] and row["thumbnail"] == before[face]["thumbnail"]
    library = Library.open(home / "library")
    assert library.embedder == "facenet-vggface2"
    assert read_state(library).names_of([alice]) == {alice: "Alice"}
    again = roost_json("index", album, home=home, env=env)
    assert (again["unchanged"], again["models_loaded"]) == (len(PHOTOS), [])


class _Tagger(Stage):
    """A stage whose model may be missing: it tags each photo with its mean brightness."""

    name: ClassVar[str] = "tagger"
    needs: ClassVar[Needs] = Needs.IMAGE
    model_present: ClassVar[bool] = False
    ran: ClassVar[list[str]] = []

    @property
    def version(self) -> str:
        return "1"

    def unavailable(self) -> str | None:
        return None if self.model_present else "tagger model not installed"

    def run(self, work: Work) -> None:
        assert work.decoded is not None
        _Tagger.ran.append(work.hash)
        work.results[self.name] = float(np.asarray(work.decoded.image).mean())

    def rows(self, library: Library, done: Sequence[Work]) -> list[StageRows]:
        schema = pa.schema([key_field("hash"), pa.field("level", pa.float64())])
        table = library.table("tags", schema)
        data = pa.Table.from_pylist(
            [{"hash": w.hash, "level": w.results[self.name]} for w in done], schema
        )
        return [StageRows(table, "hash", data, "hash")]


def test_a_stage_without_its_model_is_skipped_with_a_note_and_runs_once_it_is_there(
    indexed: tuple[Path, Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    album = indexed[0]
    home = Home(_copy(indexed, tmp_path / "home"))
    monkeypatch.setitem(registry.REGISTRY, _Tagger.name, lambda context: _Tagger())
    skipped = index([album], home)
    assert skipped.stages_skipped["tagger"] == "tagger model not installed"
    assert skipped.stages_run == {} and skipped.unchanged == len(PHOTOS) and _Tagger.ran == []

    monkeypatch.setattr(_Tagger, "model_present", True)
    ran = index([album], home)
    assert ran.stages_run == {"tagger": len(PHOTOS)} and ran.models_loaded == []
    assert len(_Tagger.ran) == len(PHOTOS)
    assert index([album], home, IndexOptions()).stages_run == {}
