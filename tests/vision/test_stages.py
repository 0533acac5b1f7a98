"""The vision stages in the registry, on real photos with the real models: one decode a photo
for every stage, the registry's done markers (a stage redone alone, to the same rows), the old
per-part marker table adopted, and the rows of a photo that left dropped even where the
stages are skipped."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from node.index.run import Summary, index
from node.library.schema import key_field
from node.library.store import Library, in_clauses
from node.media.decode import decode
from node.models.runtime import OnnxModel
from node.models.store import MODELS_ENV
from node.settings import Home
from node.vision import tables
from node.vision.migrate import OLD_TABLE
from tests.conftest import TESTDATA
from tests.scenery import MODELS

# Real face detection and the vision models over scenes/, in this process.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

VISION = ("objects", "scene-labels", "bodies")
COCO, IMAGENET = "coco-ssd-mobilenet-v2", "imagenet-mobilenet-v2"
PHOTOS = len(list((TESTDATA / "scenes").glob("*.jpg")))


def index_counting(photos: Path, home: Path, models: Path = MODELS) -> tuple[Summary, list[str]]:
    """`roost index` in this process with the models in `models`, and every file it decoded."""
    decoded: list[str] = []

    def counting(path: Path, **options: Any) -> Any:
        decoded.append(path.name)
        return decode(path, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("node.index.run.decode", counting)
        patch.setenv(MODELS_ENV, str(models))
        summary = index([photos], Home(home))
    return summary, decoded


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Summary, list[str]]:
    """scenes/ indexed once with every model: (photos, home, summary, files decoded)."""
    top = tmp_path_factory.mktemp("vision-stages")
    photos = top / "photos"
    shutil.copytree(TESTDATA / "scenes", photos)
    summary, decoded = index_counting(photos, top / "home")
    return photos, top / "home", summary, decoded


def hash_of(library: Library, path: Path) -> str:
    record = library.file(str(path))
    assert record is not None, path
    return str(record["hash"])


def vision_rows(library: Library) -> dict[str, list[dict[str, Any]]]:
    """Each vision table's rows by key, the bodies' pixels and vectors apart."""
    out = {}
    for name, table, key in (
        ("objects", tables.objects_table(library), "id"),
        ("scene-labels", tables.labels_table(library), "hash"),
        ("bodies", tables.bodies_table(library), "id"),
    ):
        rows = (
            table.search()
            .limit(None)
            .to_arrow()
            .drop_columns([c for c in ("thumbnail",) if c in table.schema.names])
        )
        out[name] = sorted(rows.to_pylist(), key=lambda r: r[key])
    return out


def forget(library: Library, stages: Iterable[str], hashes: list[str]) -> None:
    """Delete the done markers of `stages` for `hashes`, as a kill before they were written."""
    for stage in stages:
        for predicate in in_clauses("hash", hashes):
            library.stages.delete(f"stage = '{stage}' AND {predicate}")


def test_every_stage_reads_the_one_decode_of_each_photo(
    scenes: tuple[Path, Path, Summary, list[str]],
) -> None:
    photos, home, summary, decoded = scenes
    assert sorted(decoded) == sorted(p.name for p in photos.iterdir())  # each photo once
    assert summary.stages_run == {
        "faces": PHOTOS, "thumbnail": PHOTOS, "objects": PHOTOS, "scene-labels": PHOTOS,
        "bodies": PHOTOS, "imports": PHOTOS,
    }  # fmt: skip
    assert set(summary.stages_skipped) == {"clip"}  # no CLIP-style model was imported
    assert "roost models import" in summary.stages_skipped["clip"]
    assert {COCO, IMAGENET} <= set(summary.models_loaded)
    library = Library.open(home / "library")
    markers = library.markers()
    for stage in VISION:
        assert set(markers[stage]) == library.media_hashes()
    assert set(markers["bodies"].values()) == {f"{COCO}/1+{IMAGENET}/1"}

    def species(name: str) -> list[str]:
        return sorted(
            b["species"] for b in tables.bodies_of(library, hash_of(library, photos / name), {})
        )

    assert "dog" in species("dog.jpg")
    # The rider's face is not found, so she is a figure to name.
    assert {"dog", "person"} <= set(species("person.jpg"))


def test_a_stage_without_its_marker_runs_alone_to_the_same_rows(
    scenes: tuple[Path, Path, Summary, list[str]], tmp_path: Path
) -> None:
    """Bodies redone alone read the objects and faces earlier runs stored; redone with the
    detector, they read its fresh output: both give the rows the first run wrote."""
    photos, indexed, _, _ = scenes
    home = tmp_path / "home"
    shutil.copytree(indexed, home)
    library = Library.open(home / "library")
    before = vision_rows(library)
    with_bodies = [hash_of(library, photos / n) for n in ("dog.jpg", "person.jpg")]
    others = sorted(library.media_hashes() - set(with_bodies))[:3]
    forget(library, VISION, others)
    forget(library, ("bodies",), with_bodies)
    summary, decoded = index_counting(photos, home)
    assert summary.stages_run == {"objects": 3, "scene-labels": 3, "bodies": 5}
    assert len(decoded) == 5 and summary.updated == 5
    assert summary.models_loaded == [COCO, IMAGENET]  # no face model; ImageNet once for two
    after = vision_rows(library)
    for name, rows in before.items():
        assert len(after[name]) == len(rows), name
        for old, new in zip(rows, after[name], strict=True):
            for column, value in old.items():
                if column in ("embedding", "scores", "score", "box", "sharpness"):
                    np.testing.assert_allclose(new[column], value, atol=1e-3, err_msg=column)
                else:
                    assert new[column] == value, (name, column)


def test_each_vision_model_loads_once_for_all_the_stages_using_it(tmp_path: Path) -> None:
    """Scene labels and bodies both predict with the ImageNet model: one session serves both.
    Counted where ONNX Runtime sessions are made, so a second copy anywhere is seen."""
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copyfile(TESTDATA / "scenes" / "dog.jpg", photos / "dog.jpg")  # a dog: bodies predict
    loads: list[str] = []
    load = OnnxModel._load

    def counting(model: OnnxModel) -> Any:
        loads.append(model.path.parent.name)
        return load(model)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OnnxModel, "_load", counting)
        summary, _ = index_counting(photos, tmp_path / "home")
    assert {s: summary.stages_run[s] for s in VISION} == dict.fromkeys(VISION, 1)
    library = Library.open(tmp_path / "home" / "library")
    assert tables.bodies_of(library, hash_of(library, photos / "dog.jpg"), {})
    assert sorted(loads) == [COCO, IMAGENET]
    assert [m for m in summary.models_loaded if m in (COCO, IMAGENET)] == [COCO, IMAGENET]


OLD_MARKERS = pa.schema(
    [key_field("hash")]
    + [pa.field(p, pa.string()) for p in ("objects", "labels", "bodies", "clip")]
)


def test_the_old_marker_table_is_adopted_and_nothing_runs_again(
    scenes: tuple[Path, Path, Summary, list[str]], tmp_path: Path
) -> None:
    photos, indexed, _, _ = scenes
    home = tmp_path / "home"
    shutil.copytree(indexed, home)
    library = Library.open(home / "library")
    markers = library.markers()
    old = [
        {"hash": h, "objects": markers["objects"][h], "labels": markers["scene-labels"][h],
         "bodies": markers["bodies"][h], "clip": None}
        for h in sorted(library.media_hashes())
    ]  # fmt: skip
    library.table(OLD_TABLE, OLD_MARKERS).add(pa.Table.from_pylist(old, OLD_MARKERS))
    forget(library, VISION, sorted(library.media_hashes()))
    summary, decoded = index_counting(photos, home)
    assert (summary.stages_run, decoded, summary.models_loaded) == ({}, [], [])
    assert not library.has_table(OLD_TABLE)
    assert library.markers() == markers


def test_a_photo_that_leaves_takes_its_vision_rows_even_without_the_models(
    tmp_path: Path,
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("dog.jpg", "kite.jpg"):
        shutil.copyfile(TESTDATA / "scenes" / name, photos / name)
    home = tmp_path / "home"
    index_counting(photos, home)
    library = Library.open(home / "library")
    dog = hash_of(library, photos / "dog.jpg")
    assert tables.body_ids_of(library, dog)
    (photos / "dog.jpg").unlink()
    summary, _ = index_counting(photos, home, models=tmp_path / "no-models")
    assert summary.removed == 1
    assert set(summary.stages_skipped) == {*VISION, "clip"}
    assert "roost models fetch coco-ssd-mobilenet-v2" in summary.stages_skipped["objects"]
    for table, column in (
        (tables.objects_table(library), "media_hash"),
        (tables.labels_table(library), "hash"),
        (tables.bodies_table(library), "media_hash"),
    ):
        left = table.search().select([column]).limit(None).to_arrow()[column].to_pylist()
        assert left and dog not in left  # kite.jpg's rows stay
