"""Installing models: fetch from a pinned source (a real HTTP server on loopback stands in for
the internet), import offline, list, and what a missing model does to `roost index`."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.models.registry import IMAGENET_MOBILENET
from node.models.store import ModelRefused, ModelStore
from tests.conftest import TESTDATA, roost, roost_json
from tests.scenery import MODELS

CLASSIFIER = MODELS / IMAGENET_MOBILENET.name


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving a folder laid out as <name>/<file>."""
    root = tmp_path / "mirror"
    shutil.copytree(CLASSIFIER, root / IMAGENET_MOBILENET.name)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_checks_the_pinned_sha256_and_installs(
    mirror: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = mirror
    home = tmp_path / "home"
    before = {m["name"]: m["installed"] for m in roost_json("models", "list", home=home)}
    assert before == {"coco-ssd-mobilenet-v2": False, "imagenet-mobilenet-v2": False}
    roost("models", "fetch", IMAGENET_MOBILENET.name, "--mirror", url, home=home)
    listed = {m["name"]: m for m in roost_json("models", "list", home=home)}
    assert listed["imagenet-mobilenet-v2"]["installed"] is True
    assert listed["imagenet-mobilenet-v2"]["licence"] == "Apache-2.0"
    installed = home / "models" / IMAGENET_MOBILENET.name / "model.onnx"
    assert installed.read_bytes() == (CLASSIFIER / "model.onnx").read_bytes()


def test_a_tampered_download_installs_nothing(mirror: tuple[str, Path], tmp_path: Path) -> None:
    url, root = mirror
    served = root / IMAGENET_MOBILENET.name / "model.onnx"
    data = bytearray(served.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte changed
    served.write_bytes(bytes(data))
    store = ModelStore(tmp_path / "models")
    with pytest.raises(ModelRefused, match=r"is not the pinned model\.onnx"):
        store.fetch(IMAGENET_MOBILENET, mirror=url)
    assert not store.present(IMAGENET_MOBILENET)
    assert not (store.folder(IMAGENET_MOBILENET.name) / "model.onnx").exists()


def test_an_unreachable_source_is_a_clear_error(tmp_path: Path) -> None:
    result = roost(
        "models", "fetch", IMAGENET_MOBILENET.name, "--mirror", "http://127.0.0.1:9",
        home=tmp_path, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "cannot download http://127.0.0.1:9/imagenet-mobilenet-v2/model.onnx" in result.stderr


def test_import_recognises_a_model_by_its_sha256(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = roost("models", "import", CLASSIFIER / "model.onnx", home=home)
    assert "installed imagenet-mobilenet-v2" in result.stdout
    assert ModelStore(home / "models").present(IMAGENET_MOBILENET)


def test_import_refuses_what_it_does_not_know(tmp_path: Path) -> None:
    stray = tmp_path / "model.onnx"
    stray.write_bytes(b"not a model")
    result = roost("models", "import", stray, home=tmp_path / "home", check=False)
    assert result.returncode == 1 and "is none of the models Roost knows" in result.stderr
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copyfile(CLASSIFIER / "model.onnx", alone / "model.onnx")  # its labels.txt missing
    result = roost("models", "import", alone, home=tmp_path / "home", check=False)
    assert result.returncode == 1 and "needs labels.txt" in result.stderr
    assert not ModelStore(tmp_path / "home" / "models").present(IMAGENET_MOBILENET)


def test_a_missing_model_skips_its_stage_with_a_note(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copyfile(TESTDATA / "scenes" / "dog.jpg", photos / "dog.jpg")
    home = tmp_path / "home"
    summary = roost_json("index", photos, home=home)
    skipped = summary["stages_skipped"]
    assert "coco-ssd-mobilenet-v2 is not installed" in skipped["objects"]
    assert "coco-ssd-mobilenet-v2" not in summary["models_loaded"]
    answer = roost_json("search", "dog", home=home)
    assert answer["hits"] == [] and "cannot be searched" in answer["notes"][0]
    # Installing the classifier later runs only that part over the indexed photo.
    roost("models", "import", CLASSIFIER, home=home)
    again = roost_json("index", photos, home=home)
    assert (again["indexed"], again["updated"], again["unchanged"]) == (0, 1, 0)
    assert again["stages_run"] == {"scene-labels": 1}
    assert again["models_loaded"] == ["imagenet-mobilenet-v2"]  # no face model, no detector
    assert [h["path"] for h in roost_json("search", "dog", home=home)["hits"]] == [
        str(photos / "dog.jpg")
    ]
