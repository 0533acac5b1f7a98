"""`roost index` and `roost show`: build the local index and look inside it."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from node.cli.commands import command
from node.cli.common import positive, print_json
from node.cli.errors import CommandError
from node.faces.embed import DEFAULT_EMBEDDER, EMBEDDERS
from node.files import holder
from node.folders import roots_for_index
from node.index.registry import REGISTRY
from node.index.run import IndexOptions, Summary, content_hash, index
from node.library.store import Library
from node.media import sources
from node.media.kind import MediaKind
from node.media.sources import ImportCounts
from node.people.state import read_state
from node.progress import reporter_for
from node.settings import Home
from node.video.store import OnScreen, tracks_of, videos_of
from node.video.timeline import clock
from node.vision.tables import bodies_of, body_ids_of


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = command(
        sub,
        "index",
        description="Find faces, dates and places in photos. Incremental and resumable: run it "
        "again at any time, also after an interruption. Folders named are added to the "
        "library's folders (`roost folders`); with none named, those are indexed. While the "
        "node (or another run) indexes this library, it waits for that run to end.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="folders or files")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument(
        "--embedder",
        choices=sorted(EMBEDDERS),
        help=f"face embedding model for a new library (default: {DEFAULT_EMBEDDER}), or the "
        "one to switch to with --reembed",
    )
    p.add_argument(
        "--reembed",
        action="store_true",
        help="embed every face of the library again (with --embedder, into that model's space); "
        "people, search and clusters switch to the new vectors once all are done, labels kept",
    )
    p.add_argument(
        "--stage",
        action="append",
        choices=sorted(REGISTRY),
        dest="stages",
        default=[],
        help="run only this indexing stage (repeatable); the others are left for a later run",
    )
    p.add_argument(
        "--batch-size",
        type=positive,
        default=IndexOptions.batch_size,
        metavar="N",
        help="photos per commit; at most this much work is redone after a crash",
    )
    p.set_defaults(run=run_index)

    p = command(sub, "show")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run_show)


def run_index(args: argparse.Namespace, home: Home) -> int:
    options = IndexOptions(
        embedder=args.embedder,
        reembed=args.reembed,
        stages=tuple(args.stages),
        batch_size=args.batch_size,
    )
    roots, note = roots_for_index(home, args.paths)
    if note:
        print(f"roost: {note}", file=sys.stderr)
    say_who_writes(home)
    summary = index(roots, home, options, reporter_for(sys.stderr), wait=True)
    if args.json:
        print_json(summary.to_json())
    else:
        _print_summary(summary)
    return 0


def say_who_writes(home: Home) -> None:
    """Before waiting for the index lock: say who holds it, if anyone does. The running node
    releases it after each run, so a command waits for one run, not for the node to stop;
    whatever that run already did, the command's own run then finds done."""
    writer = holder(home.library_lock)
    if writer is None:
        return
    who = "the node" if writer == holder(home.node_lock) else "another `roost index`"
    print(
        f"roost: {who} ({writer}) is indexing this library; waiting for its run to end "
        "(`roost status` shows its progress, Ctrl-C gives up)",
        file=sys.stderr,
    )


def _print_imported(counts: dict[str, int] | None) -> None:
    """The lines on what came from other apps (the imports stage's counts), when anything did."""
    if not counts:
        return
    i = ImportCounts(**counts)
    if i.from_sidecars or i.names_imported or i.regions_without_face or i.names_kept:
        parts = [
            f"{i.from_sidecars} photos with sidecar metadata",
            f"{i.names_imported} faces named from face regions"
            + (f" ({i.names_kept} kept as you labelled them)" if i.names_kept else ""),
        ]
        if i.faces_found_in_regions:
            parts.append(f"{i.faces_found_in_regions} faces found by looking inside a region")
        if i.faces_from_regions:
            parts.append(f"{i.faces_from_regions} faces from regions")
        if i.regions_without_face:
            parts.append(f"{i.regions_without_face} named regions with no face found")
        if i.people_hints:
            parts.append(f"{i.people_hints} photos with Takeout people")
        print("  from other apps: " + ", ".join(parts))
    if i.motion_photos or i.live_photos:
        print(f"  {i.motion_photos} motion photos, {i.live_photos} Live Photos (video noted)")


def _print_summary(s: Summary) -> None:
    print(
        f"{s.seen} files: {s.indexed} indexed, {s.unchanged} unchanged, {s.relinked} moved or "
        f"duplicate, {len(s.skipped)} skipped, {len(s.failed)} failed; {s.faces} faces found"
        + (f"; {s.updated} brought up to date" if s.updated else "")
        + (f"; {s.removed} deleted files left the index" if s.removed else "")
    )
    for stage, reason in s.stages_skipped.items():
        print(f"  stage {stage} skipped: {reason}")
    if s.reembed_pending:
        print(f"  re-embedding: {s.reembed_pending} photos left; run `roost index` again")
    _print_imported(s.reports.get("imported"))
    for problem in s.failed:
        print(f"  failed: {problem.path}: {problem.reason}")
    for note in s.notes:
        print(f"  note: {note.path}: {note.reason}")


def run_show(args: argparse.Namespace, home: Home) -> int:
    library = Library.open(home.library)
    path = os.path.abspath(args.path)
    record = library.file(path)
    if record is not None:
        digest = record["hash"]
    else:
        try:
            digest = content_hash(path)  # a copy or a moved file not indexed at this path yet
        except OSError as exc:
            raise CommandError(f"{args.path} is not in the index ({exc.strerror})") from exc
    photo = library.photo(digest)
    if photo is None:
        raise CommandError(f"{args.path} is not in the index; run `roost index` on its folder")
    shown = describe(library, photo)
    if args.json:
        print_json(shown)
    else:
        _print_photo(shown)
    return 0


def describe(library: Library, photo: dict[str, Any]) -> dict[str, Any]:
    """The `roost show --json` contract for one indexed photo or video."""
    has_gps = photo["lat"] is not None and photo["lon"] is not None
    faces = library.faces_of(photo["hash"], ["id", "box", "score"])
    names = read_state(library).names_of(
        [f["id"] for f in faces] + body_ids_of(library, photo["hash"])
    )
    video = videos_of(library, [photo["hash"]]).get(photo["hash"])
    tracks = tracks_of(library, [f["id"] for f in faces]) if video else {}
    found = sources.read(library, photo["hash"]) or {}
    return {
        "kind": (MediaKind.VIDEO if video else MediaKind.PHOTO).value,
        "hash": photo["hash"],
        "paths": library.paths_of(photo["hash"]),
        "taken_at": photo["taken_at"],
        "taken_at_source": photo["taken_at_source"],
        "time_zone": found.get("time_zone"),
        "gps": {"lat": photo["lat"], "lon": photo["lon"]} if has_gps else None,
        "description": found.get("description"),
        "keywords": found.get("keywords", []),
        "sources": {
            "taken_at": found.get("taken_from", photo["taken_at_source"]),
            "time_zone": found.get("time_zone_source"),
            "gps": found.get("gps_source") if has_gps else None,
            "description": found.get("description_source"),
            "keywords": found.get("keywords_source"),
            "face_names": found.get("regions_source"),
            "sidecars": found.get("sidecars", []),
        },
        "regions": found.get("regions", []),
        "motion_clip": (
            {
                "offset": found["clip_offset"],
                "length": found["clip_length"],
                "mime": found["clip_mime"],
            }
            if found.get("clip_offset") is not None
            else None
        ),
        "live_video": found.get("live_video"),
        "takeout_people": found.get("people", []),
        "metadata_problems": found.get("problems", []),
        "camera": photo["camera"],
        "format": photo["format"],
        "width": photo["width"],
        "height": photo["height"],
        "embedder": library.embedder,
        "faces": [
            {
                "id": f["id"],
                "box": [round(v, 1) for v in f["box"]],
                "score": round(f["score"], 4),
                "person": names.get(f["id"]),
                **(_on_screen(tracks.get(f["id"])) if video else {}),
            }
            for f in faces
        ],
        **({"video": video.to_json()} if video else {}),
        "bodies": bodies_of(library, photo["hash"], names),
    }


def _on_screen(track: OnScreen | None) -> dict[str, Any]:
    """A video face's part of `roost show --json`: its spans and its best frame's time."""
    if track is None:
        return {"spans": [], "best_time": None}
    return {"spans": [list(span) for span in track.spans], "best_time": track.best_time}


def _print_photo(shown: dict[str, Any]) -> None:
    print(f"{shown['paths'][0]}  ({shown['hash'][:12]})")
    for extra in shown["paths"][1:]:
        print(f"  also at {extra}")
    zone = f", {shown['time_zone']}" if shown["time_zone"] else ""
    print(f"  taken   {shown['taken_at']} (from {shown['sources']['taken_at']}{zone})")
    if shown["gps"]:
        print(f"  place   {shown['gps']['lat']:.5f}, {shown['gps']['lon']:.5f}")
    if shown["camera"]:
        print(f"  camera  {shown['camera']}")
    if "video" in shown:
        video = shown["video"]
        print(
            f"  video   {clock(video['duration'])}, {video['codec']}, "
            f"{video['samples']} frames looked at"
        )
        for note in video["notes"]:
            print(f"  note    {note}")
    print(f"  faces   {len(shown['faces'])}" + (" tracks" if "video" in shown else ""))
    for face in shown["faces"]:
        who = f"  {face['person']}" if face["person"] else ""
        print(f"    {face['id']}  box {face['box']}  score {face['score']:.3f}{who}")
        if face.get("spans"):
            seen = ", ".join(f"{clock(a)}–{clock(b)}" for a, b in face["spans"])
            print(f"      on screen {seen}")
    for body in shown["bodies"]:
        named = f"  {body['name']}" if body["name"] else ""
        box, score = body["box"], body["score"]
        print(f"  {body['species']:<7} {body['id']}  box {box}  score {score:.3f}{named}")
