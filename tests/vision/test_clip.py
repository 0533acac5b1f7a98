"""The CLIP path on a small CLIP-style model this test builds (no real one can be had here):
import it as a user would, index real photos with it, search words no vocabulary covers.

The model maps an image to its mean colour, and a word to a colour: "crimson" red, "azure"
blue, "fern" green. The photos are real (scenes/kite.jpg and dog.jpg), tinted by the test, so
which photo a word must find is known without running the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image, ImageOps

from tests.conftest import TESTDATA, roost, roost_json

TOKENS = ["<pad>", "<start>", "<end>", "a</w>", "photo</w>", "of</w>", "crimson</w>",
          "azure</w>", "fern</w>"]  # fmt: skip
COLOURS = {"crimson": (1, -1, -1), "azure": (-1, -1, 1), "fern": (-1, 1, -1)}


def build_bundle(folder: Path) -> Path:
    folder.mkdir(parents=True)
    image = helper.make_graph(
        [helper.make_node("ReduceMean", ["pixels"], ["embedding"], axes=[2, 3], keepdims=0)],
        "image",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 3])],
    )
    table = np.zeros((len(TOKENS), 3), np.float32)
    for word, colour in COLOURS.items():
        table[TOKENS.index(f"{word}</w>")] = colour
    text = helper.make_graph(
        [helper.make_node("Gather", ["table", "tokens"], ["each"]),
         helper.make_node("ReduceSum", ["each", "axis"], ["embedding"], keepdims=0)],
        "text",
        [helper.make_tensor_value_info("tokens", TensorProto.INT64, [1, 8])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(table, "table"),
         numpy_helper.from_array(np.array([1], np.int64), "axis")],
    )  # fmt: skip
    for graph, name in ((image, "image.onnx"), (text, "text.onnx")):
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, folder / name)
    (folder / "tokens.txt").write_text("\n".join(TOKENS) + "\n")
    manifest = {
        "name": "tiny-clip-test", "licence": "CC0-1.0", "image_size": 32,
        "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "context": 8, "start": 1, "end": 2,
        "prompt": "a photo of a {}", "threshold": 0.8,
    }  # fmt: skip
    (folder / "clip.json").write_text(json.dumps(manifest))
    return folder


def tinted(source: Path, target: Path, colour: tuple[int, int, int]) -> None:
    grey = ImageOps.grayscale(Image.open(source))
    ImageOps.colorize(grey, black=(0, 0, 0), white=colour).save(target, quality=92)


def test_a_clip_model_answers_words_no_vocabulary_covers(tmp_path: Path) -> None:
    home = tmp_path / "home"
    roost("models", "import", build_bundle(tmp_path / "bundle"), home=home)
    listed = {m["name"]: m for m in roost_json("models", "list", home=home)}
    assert listed["tiny-clip-test"]["installed"] and listed["tiny-clip-test"]["role"] == "clip"
    photos = tmp_path / "photos"
    photos.mkdir()
    for name, colour in (("red", (255, 40, 40)), ("blue", (40, 40, 255)), ("green", (40, 255, 40))):
        tinted(TESTDATA / "scenes" / "kite.jpg", photos / f"{name}.jpg", colour)
    tinted(TESTDATA / "scenes" / "dog.jpg", photos / "red-dog.jpg", (255, 40, 40))

    first = roost_json("index", photos, home=home)
    assert "tiny-clip-test" in first["models_loaded"]
    again = roost_json("index", photos, home=home)
    assert again["models_loaded"] == []  # every photo has its embedding: nothing reruns

    def names(text: str) -> list[str]:
        return sorted(Path(h["path"]).stem for h in roost_json("search", text, home=home)["hits"])

    assert names("crimson") == ["red", "red-dog"]
    assert names("azure") == ["blue"]
    assert names("fern") == ["green"]
    unknown = roost_json("search", "lighthouse", home=home)
    assert unknown["hits"] == [] and any("lighthouse" in note for note in unknown["notes"])


def test_a_broken_bundle_is_refused(tmp_path: Path) -> None:
    bundle = build_bundle(tmp_path / "bundle")
    (bundle / "text.onnx").write_bytes(b"garbage")
    result = roost("models", "import", bundle, home=tmp_path / "home", check=False)
    assert result.returncode == 1 and "not a usable CLIP bundle" in result.stderr
    listed = roost_json("models", "list", home=tmp_path / "home")
    assert "tiny-clip-test" not in {m["name"] for m in listed}
