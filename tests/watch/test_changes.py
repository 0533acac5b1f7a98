"""From what the watcher reports to what an index run walks (`node.watch.changes.roots_for`)."""

from __future__ import annotations

from pathlib import Path

from node.watch.changes import roots_for


def test_a_new_file_is_its_own_root_and_a_gone_one_its_nearest_folder(tmp_path: Path) -> None:
    library = tmp_path / "Pictures"
    (library / "2019" / "beach").mkdir(parents=True)
    new = library / "2019" / "beach" / "a.jpg"
    new.write_bytes(b"x")
    gone = library / "2019" / "beach" / "b.jpg"  # deleted: only its folder shows that
    gone_folder = library / "2018" / "trip" / "c.jpg"  # a whole folder moved away
    roots = roots_for({str(new), str(gone), str(gone_folder)}, [str(library)])
    assert roots == [str(library)]  # 2018 is gone too: only the library folder lists its absence
    assert roots_for({str(new), str(gone)}, [str(library)]) == [str(library / "2019" / "beach")]
    assert roots_for({str(new)}, [str(library)]) == [str(new)]


def test_nothing_outside_the_library_or_under_a_vanished_library_folder(tmp_path: Path) -> None:
    there, unplugged = tmp_path / "Pictures", tmp_path / "usb" / "Photos"
    there.mkdir()
    elsewhere = tmp_path / "Downloads" / "x.jpg"
    vanished = unplugged / "2020" / "y.jpg"
    assert roots_for({str(elsewhere), str(vanished)}, [str(there), str(unplugged)]) == []


def test_roots_inside_other_roots_are_dropped(tmp_path: Path) -> None:
    library = tmp_path / "Pictures"
    (library / "a").mkdir(parents=True)
    photo = library / "a" / "p.jpg"
    photo.write_bytes(b"x")
    roots = roots_for(
        {str(library / "a"), str(photo), str(library / "a" / "q.jpg")}, [str(library)]
    )
    assert roots == [str(library / "a")]
