"""`roost check` on a deliberately damaged copy of a real indexed album: each kind of damage is
found and comes with what to do; doing it (`--repair`, `roost index`, restoring a table from a
backup) leaves a library that checks clean and holds what the undamaged one held."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa

from node.library.store import Library
from node.people.events import EVENTS
from tests.albums import Album, copy_home
from tests.conftest import roost


def check(home: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = roost("check", "--json", *args, home=home, check=False)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def problems(report: dict[str, Any]) -> list[dict[str, str]]:
    return [f for f in report["findings"] if f["severity"] == "problem"]


def rows(home: Path, table: str, key: str) -> list[str]:
    library = Library.open(home / "library")
    values = library.table(table, pa.schema([])).to_arrow().column(key).to_pylist()
    return sorted(values)


def test_a_damaged_library_is_found_explained_and_mended(album: Album, tmp_path: Path) -> None:
    home = copy_home(album, tmp_path / "home")
    listed = json.loads(roost("people", "--json", home=home).stdout)
    cluster = next(row["id"] for row in listed if row["kind"] == "cluster")
    roost("name", cluster, "Alice", home=home)
    assert check(home) == (0, {"repaired": [], "findings": []})
    backup = tmp_path / "backup"
    shutil.copytree(home, backup)

    library = Library.open(home / "library")
    photo = library.known_files()[str(album.path("faces/id00/img1.jpg"))].hash
    library.media.delete(f"hash = '{photo}'")  # its faces and its file lose their photo
    faces = library.faces.search().limit(3).to_arrow()
    library.faces.add(faces)  # three face ids twice
    events = library.table("label_events", EVENTS)
    bogus = {**events.search().limit(1).to_arrow().to_pylist()[0], "id": "f" * 32, "op": "zap"}
    events.add(pa.Table.from_pylist([bogus], EVENTS))
    (data,) = sorted((home / "library" / "clusters.lance" / "data").glob("*.lance"))[-1:]
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])

    code, report = check(home)
    assert code == 1
    found = {p["what"]: p["fix"] for p in problems(report)}
    assert len(found) == 5, found
    fixes = list(found.values())
    assert any("clusters cannot be read" in w for w in found)
    assert "remove <home>/library/clusters.lance and run `roost index`" in " ".join(fixes)
    assert any("3 rows repeat a id" in w for w in found)
    assert any("faces point at photos that are not in media" in w for w in found)
    assert any("1 files point at photos that are not in media" in w for w in found)
    assert any("label log does not fold" in w and "zap" in w for w in found)
    assert "restore <home>/library/label_events.lance from a backup" in " ".join(fixes)

    # Doing what it says: repair, remove the derived table, restore the labels, index again.
    code, report = check(home, "--repair")
    assert code == 1 and len(report["repaired"]) == 4, report["repaired"]
    assert len(problems(report)) == 2  # the unreadable table and the labels remain
    shutil.rmtree(home / "library" / "clusters.lance")
    shutil.rmtree(home / "library" / "label_events.lance")
    shutil.copytree(
        backup / "library" / "label_events.lance", home / "library" / "label_events.lance"
    )
    roost("index", album.photos, "--json", home=home)
    assert check(home) == (0, {"repaired": [], "findings": []})
    for table, key in (("files", "path"), ("media", "hash"), ("faces", "id"), ("clusters", "face")):
        assert rows(home, table, key) == rows(backup, table, key), table
    listed = json.loads(roost("people", "--json", home=home).stdout)
    assert [row["name"] for row in listed if row["name"]] == ["Alice"]
