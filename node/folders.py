"""The library's folders: which folders `roost index` and the node keep indexed.

They are remembered in the settings (`library.folders`). With none remembered, the library is
the platform's pictures and videos folders (XDG user dirs on Linux, `~/Pictures` and `~/Movies`
on macOS, the known folders on Windows: `platformdirs`), those of them that exist. Folders never
nest: adding a folder inside a remembered one changes nothing, adding one around remembered
ones replaces them. A remembered folder that is offline — missing (an unplugged disk), or empty
(an unmounted drive leaves its mount point behind, and indexing that would look like every
photo deleted) — stays remembered, is left out of runs, and its photos stay in the index.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

from node import config
from node.derive import derive
from node.library.store import Library, write_lock
from node.settings import Home
from protocol.errors import RoostError


class FolderError(RoostError):
    """A folder cannot be added or removed as asked."""


class NoFolders(RoostError):
    """No folder is remembered and none of the platform's default folders exists."""


@dataclass(frozen=True)
class LibraryFolders:
    folders: tuple[str, ...]
    remembered: bool  # False: none is remembered, these are the platform's defaults


def default_folders() -> tuple[str, ...]:
    """The platform's pictures and videos folders (whether or not they exist)."""
    found = (platformdirs.user_pictures_dir(), platformdirs.user_videos_dir())
    return tuple(dict.fromkeys(os.path.normpath(f) for f in found))


def library_folders(home: Home) -> LibraryFolders:
    """The folders to index: the remembered ones, else the default ones that exist."""
    return chosen_folders(config.load(home.config_file))


def chosen_folders(settings: config.Settings) -> LibraryFolders:
    remembered = settings.library.folders
    if remembered:
        return LibraryFolders(remembered, True)
    return LibraryFolders(tuple(f for f in default_folders() if os.path.isdir(f)), False)


def folders_to_index(home: Home) -> LibraryFolders:
    """`library_folders`, refusing with what to do when there are none at all."""
    chosen = library_folders(home)
    if not chosen.folders:
        defaults = " nor ".join(shown(f) for f in default_folders())
        raise NoFolders(
            f"no library folders yet, and neither {defaults} exists: add one with "
            "`roost folders add PATH` (or index one now: `roost index PATH`)"
        )
    return chosen


def online(folder: str) -> bool:
    """Whether a library folder is there to index: it lists, and lists something."""
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is not None
    except OSError:
        return False


def contains(folder: str, path: str) -> bool:
    """Whether `path` is `folder` or lies inside it (both absolute, normalised)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def add(home: Home, paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Remember these folders; return the ones that were new."""
    wanted = [_absolute(p) for p in paths]
    for folder in wanted:
        if not os.path.isdir(folder):
            raise FolderError(f"{folder} is not a folder")
    added: list[str] = []

    def change(settings: config.Settings) -> config.Settings:
        folders = list(settings.library.folders)
        for folder in wanted:
            if any(contains(kept, folder) for kept in folders):
                continue
            folders = [kept for kept in folders if not contains(folder, kept)] + [folder]
            added.append(folder)
        return replace(settings, library=replace(settings.library, folders=tuple(folders)))

    config.update(home.config_file, change)
    return added


def remove(home: Home, path: str | os.PathLike[str], *, wait: bool = False) -> int:
    """Forget a folder and its photos (labels are kept); return how many files left the index.

    It takes the index lock (refused while an index run writes, or with `wait` waiting for the
    run to end), drops the folder's files, then the folder from the settings, so a kill in
    between leaves the folder remembered: running the command again finishes it."""
    folder = _absolute(path)
    remembered = config.load(home.config_file).library.folders
    if folder not in remembered:
        known = ", ".join(remembered) or "none"
        raise FolderError(f"{folder} is not a library folder (they are: {known})")
    others = [f for f in remembered if f != folder]
    gone = 0
    if (home.library / "library.json").exists():
        with write_lock(home.library_lock, wait=wait):
            library = Library.open(home.library)
            paths = [
                p
                for p in library.known_files()
                if contains(folder, p) and not any(contains(o, p) for o in others)
            ]
            library.forget_paths(paths)
            if paths:
                library.drop_orphans()
                library.compact()
                derive(library)
            gone = len(paths)
    config.update(
        home.config_file,
        lambda s: replace(
            s,
            library=replace(s.library, folders=tuple(f for f in s.library.folders if f != folder)),
        ),
    )
    return gone


def _absolute(path: str | os.PathLike[str]) -> str:
    return os.path.normpath(os.path.abspath(Path(path).expanduser()))


def shown(path: str) -> str:
    """A path as a person writes it: under their home folder, with `~`."""
    home = str(Path.home())
    return "~" + path[len(home) :] if contains(home, path) else path


def roots_for_index(home: Home, paths: Sequence[str]) -> tuple[list[str], str | None]:
    """What `roost index [PATH...]` indexes, and a note for the person who ran it.

    Named folders are remembered as library folders (files are indexed once, not remembered);
    without a path, the library's folders are indexed."""
    if paths:
        added = add(home, [p for p in paths if os.path.isdir(p)])
        note = f"added to the library folders: {', '.join(map(shown, added))}" if added else None
        return list(paths), note
    chosen = folders_to_index(home)
    notes = []
    if not chosen.remembered:
        notes.append(
            f"no library folders set; indexing the default ones: "
            f"{', '.join(map(shown, chosen.folders))} (`roost folders add PATH` to choose)"
        )
    there = [f for f in chosen.folders if online(f)]
    if offline := [f for f in chosen.folders if f not in there]:
        notes.append(
            f"left out, missing or empty (a drive not mounted?): {', '.join(map(shown, offline))}"
            "; nothing under them leaves the index"
        )
    return there, "; ".join(notes) or None
