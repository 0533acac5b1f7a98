"""A family library at scale: N faces made from real descriptors, and what label edits,
`roost people`, a search by person and year, the TUI's people screen and derive cost there.

The descriptors are real: `roost index` runs once on `--data` (a folder of identity subfolders;
lfw_dev's 96 people by default in the commands below), and each identity's largest faces are
the people of the synthetic family. Every synthetic face is one of its person's real
descriptors plus a small Gaussian perturbation (norm about 0.05, against same-person distances
of 0.3–0.6), so distances, suggestions and automatic assignments behave as on real faces.
People are spread Zipf-like (a few people are most of the photos, as in a family), photos hold
1–3 faces, dates run 2005–2026, one face in ten is low quality (small box) and unclustered, and
each person's good faces are in one large cluster, a fifth of them split off into smaller ones
(one per original photo), as the clustering leaves them. The rows go
straight into the library's tables through its own schemas; the detector never runs, nor
the clustering over N faces (derive is measured on 1,000 new faces at the end).

The library is built in a child process, so that the process measuring holds only what a node
opening that library holds: building it held 1.5 GB at 250,000 faces, which a process's
allocator keeps long after. Measured, in this one warm process unless said otherwise:

- the full recomputation of the people state, stored (`state.recompute`, what every edit's
  refresh cost before the incremental path): the baseline of the ratios;
- p50/p95 of label edits through `node.people.edits` (name a cluster, confirm, reject, merge),
  each including its state refresh, as the TUI or a node makes them;
- `roost people --json` and `roost search` as commands (fresh processes: wall time, peak RSS);
- a search by person and year in this process (p50/p95 over several people and years);
- the TUI's people screen opening (`tui.data.Roost`: the state, its subjects, the first
  page of cards and their thumbnails), after an edit (state read again) and warm;
- derive (`node.derive.derive`: clustering, then the people state) for 1,000 new faces;
- this process's peak RSS (what a node doing all of this would hold), and its peak in each
  phase apart (`phase_peak_rss_mb`: opening the library, the first names, the full
  recomputation, edits with the TUI and searches, derive); the build's apart
  (`build_peak_rss_mb`).

Prints one JSON object on its last line.

    python -m benchmarks.scale --data ../shared/testdata/lfw_dev --faces 250000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from benchmarks.labeling import identity_faces
from benchmarks.measure import index_with_roost, percentile, phase_peak_mb, run_measured
from node.derive import derive
from node.library.schema import FILES, MEDIA, face_id, faces_schema
from node.library.store import Library
from node.people import edits, state
from node.people.clusters import CLUSTERS, clusters_table, read_clusters
from node.search.run import parse, search
from node.settings import Home
from tui.data import Roost

NOISE = 0.05  # norm of the perturbation added to a real descriptor
LOW_QUALITY = 0.1  # share of faces with a small box: never clustered, never auto-assigned
SPLIT_OFF = 0.2  # share of a person's good faces in smaller clusters, one per original photo
NAMED = 20  # people the user has named before the measured edits
BLOCK = 50_000  # faces written per commit
CARDS = 12  # cards on the people screen's first page
FIRST_YEAR, LAST_YEAR = 2005, 2026


@dataclass(frozen=True)
class Source:
    """The real descriptors: per identity, its faces' vectors and thumbnails."""

    embedder: str
    dim: int
    vectors: dict[str, np.ndarray]
    thumbnails: dict[str, list[bytes]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of identity subfolders")
    parser.add_argument("--faces", type=int, default=250_000, help="faces in the library")
    parser.add_argument("--home", type=Path, help="reuse (or keep) the index of --data here")
    parser.add_argument("--keep", type=Path, help="build the large library here and keep it")
    parser.add_argument("--edits", type=int, default=10, help="edits measured of each kind")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="roost-scale-") as scratch:
        source_home = args.home or Path(scratch) / "source"
        home = Home(args.keep or Path(scratch) / "home")
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
            built = child.submit(
                built_home, args.data.resolve(), source_home, home.root, args.faces, args.seed
            )
            people, build_s = built.result()
        result: dict[str, Any] = {"faces": args.faces, "people": len(people), "build_s": build_s}
        result["build_peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        )
        rng = np.random.default_rng(args.seed + 1)
        result.update(measure(home, people, args.edits, rng))
    print(json.dumps(result))
    return 0


def built_home(
    data: Path, source_home: Path, root: Path, n: int, seed: int
) -> tuple[list[str], float]:
    """Build the library of `n` faces in `root` (in the child process): its people, and the
    seconds the build took after the real descriptors were read."""
    source = read_source(data, source_home)
    started = time.perf_counter()
    people = build(Home(root), source, n, np.random.default_rng(seed))
    return people, round(time.perf_counter() - started, 1)


def read_source(data: Path, home: Path) -> Source:
    library = (
        Library.open(home / "library")
        if (home / "library" / "library.json").exists()
        else index_with_roost(data, home)
    )
    truth = identity_faces(library, data)
    rows = library.faces_by_id(truth, ["embedding", "thumbnail"])
    vectors: dict[str, list[np.ndarray]] = {}
    thumbnails: dict[str, list[bytes]] = {}
    for face, identity in sorted(truth.items()):
        vectors.setdefault(identity, []).append(np.asarray(rows[face]["embedding"], np.float32))
        thumbnails.setdefault(identity, []).append(rows[face]["thumbnail"])
    return Source(
        library.embedder,
        library.meta.space.dim,
        {identity: np.stack(v) for identity, v in vectors.items()},
        thumbnails,
    )


def build(home: Home, source: Source, n: int, rng: np.random.Generator) -> list[str]:
    """Write a library of `n` faces into `home`; return the people, most photographed first."""
    library = Library.open(home.library, embedder=source.embedder, dim=source.dim)
    people = sorted(source.vectors)
    rng.shuffle(people)
    weights = 1.0 / np.arange(1, len(people) + 1) ** 1.1
    written = 0
    photo = 0
    while written < n:
        count = min(BLOCK, n - written)
        faces, media, clusters = _block(source, people, weights / weights.sum(), photo, count, rng)
        library.faces.add(faces)
        library.media.add(media)
        library.files.add(_files(media))
        clusters_table(library).add(clusters)
        written += faces.num_rows
        photo += media.num_rows
    library.compact()  # as an index run ends: fragments merged, scalar indexes made
    state.refresh(library)
    return people


def _block(
    source: Source,
    people: list[str],
    weights: np.ndarray,
    first_photo: int,
    count: int,
    rng: np.random.Generator,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """About `count` faces (whole photos of 1–3 faces), their photos and their clusters."""
    sizes = rng.choice([1, 2, 3], size=count, p=[0.55, 0.3, 0.15])
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), count, side="right"))]
    hashes = [
        hashlib.sha256(f"photo {first_photo + i}".encode()).hexdigest() for i in range(len(sizes))
    ]
    n = int(sizes.sum())
    media_of = np.repeat(np.arange(len(sizes)), sizes)
    idx = np.concatenate([np.arange(size) for size in sizes.tolist()])
    who = rng.choice(len(people), size=n, p=weights)
    real = [int(rng.integers(len(source.vectors[people[w]]))) for w in who.tolist()]
    base = np.stack([source.vectors[people[w]][r] for w, r in zip(who.tolist(), real, strict=True)])
    noise = rng.normal(0.0, NOISE / np.sqrt(source.dim), base.shape)
    vectors = (base + noise).astype(np.float32)
    small = rng.random(n) < LOW_QUALITY
    side = np.where(small, 30.0, 120.0)
    x = 10.0 + 150.0 * idx
    boxes = np.stack([x, np.full(n, 10.0), x + side, 10.0 + side], axis=1).astype(np.float32)
    ids = [face_id(hashes[m], int(i)) for m, i in zip(media_of.tolist(), idx.tolist(), strict=True)]
    faces = pa.Table.from_pydict(
        {
            "id": ids,
            "media_hash": [hashes[m] for m in media_of.tolist()],
            "idx": pa.array(idx, pa.int32()),
            "box": _fixed(boxes),
            "landmarks": _fixed(np.zeros((n, 10), np.float32)),
            "score": pa.array(np.full(n, 0.999, np.float32)),
            "sharpness": pa.array(np.full(n, 120.0, np.float32)),
            "embedder": [source.embedder] * n,
            "embedding": _fixed(vectors),
            "thumbnail": [
                source.thumbnails[people[w]][r] for w, r in zip(who.tolist(), real, strict=True)
            ],
        },
        faces_schema(source.dim),
    )
    split = rng.random(n) < SPLIT_OFF
    clusters = pa.Table.from_pydict(
        {
            "face": ids,
            "cluster": [
                None if s else f"c-{w:03d}-{'s' + str(r) if off else '0'}"
                for w, s, off, r in zip(
                    who.tolist(), small.tolist(), split.tolist(), real, strict=True
                )
            ],
        },
        CLUSTERS,
    )
    days = (datetime(LAST_YEAR, 12, 31) - datetime(FIRST_YEAR, 1, 1)).days
    taken = [
        datetime(FIRST_YEAR, 1, 1, 12) + timedelta(days=int(d))
        for d in rng.integers(0, days, len(hashes))
    ]
    media = pa.Table.from_pydict(
        {
            "hash": hashes,
            "format": ["jpeg"] * len(hashes),
            "width": [1600] * len(hashes),
            "height": [1200] * len(hashes),
            "taken_at": [t.isoformat() for t in taken],
            "taken_local": taken,
            "taken_at_source": ["exif"] * len(hashes),
            "lat": [None] * len(hashes),
            "lon": [None] * len(hashes),
            "camera": [None] * len(hashes),
        },
        MEDIA,
    )
    return faces, media, clusters


def _fixed(matrix: np.ndarray) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(matrix.ravel()), matrix.shape[1])


def _files(media: pa.Table) -> pa.Table:
    hashes = media["hash"].to_pylist()
    return pa.Table.from_pydict(
        {
            "path": [f"/photos/{h[:2]}/{h[:12]}.jpg" for h in hashes],
            "hash": hashes,
            "size": [3_000_000] * len(hashes),
            "mtime_ns": [0] * len(hashes),
        },
        FILES,
    )


# -- measuring -----------------------------------------------------------------------------------


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = call()
    return (time.perf_counter() - started) * 1000.0, value


def summary(ms: list[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
    }


def measure(home: Home, people: list[str], count: int, rng: np.random.Generator) -> dict[str, Any]:
    library = Library.open(home.library)
    result: dict[str, Any] = {}
    by_person: dict[int, list[str]] = {}
    for cluster in sorted({c for c in read_clusters(library).values() if c is not None}):
        by_person.setdefault(int(cluster.split("-")[1]), []).append(cluster)
    names = {k: f"P{k:03d}" for k in by_person}
    phase_peak_mb()
    state.read_state(library)
    peaks: dict[str, float | None] = {"open": phase_peak_mb()}
    with library.labels_lock():
        for k in sorted(by_person)[:NAMED]:  # the family's names so far
            edits.name(library, by_person[k][0], names[k])
        peaks["first_names"] = phase_peak_mb()  # the first edits build the corpus and scorer
        full_ms, _ = timed(partial(state.recompute, library))
    peaks["full_recompute"] = phase_peak_mb()
    result["full_recompute_ms"] = round(full_ms, 1)
    result["confirmed_faces"] = len(state.read_state(library).labels.confirmed())
    timings = _edits(library, by_person, names, count, rng)
    all_edits = [ms for kind in timings.values() for ms in kind]
    result["edits"] = {kind: summary(ms) for kind, ms in timings.items()}
    result["edit_p95_ms"] = summary(all_edits)["p95_ms"]
    result["edit_p95_vs_full"] = round(result["edit_p95_ms"] / full_ms, 4)
    roost = Roost(home)
    screen_after_edit, _ = timed(partial(_people_screen, roost))
    screen_warm, _ = timed(partial(_people_screen, roost))
    result["tui_people_screen_ms"] = {
        "after_edit": round(screen_after_edit, 1),
        "warm": round(screen_warm, 1),
    }
    result["search_person_year"] = _searches(library, [names[k] for k in sorted(names)], rng)
    peaks["edits_tui_search"] = phase_peak_mb()
    cli = [sys.executable, "-m", "node.cli", "--home", str(home.root)]
    for key, command in (
        ("roost_people", ["people", "--json"]),
        ("roost_search", ["search", f"{names[min(names)]} 2019", "--json"]),
    ):
        ran = run_measured([*cli, *command])
        result[key] = {"s": round(ran.seconds, 2), "peak_rss_mb": round(ran.peak_rss_mb)}
    phase_peak_mb()
    result["derive_1000_new_faces_s"] = round(_derive_new_faces(library, rng), 2)
    peaks["derive"] = phase_peak_mb(reset=False)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["phase_peak_rss_mb"] = {k: None if v is None else round(v) for k, v in peaks.items()}
    return result


def _edits(
    library: Library,
    by_person: dict[int, list[str]],
    names: dict[int, str],
    count: int,
    rng: np.random.Generator,
) -> dict[str, list[float]]:
    """Milliseconds of `count` edits of each kind, once the family has named `NAMED` people."""
    timings: dict[str, list[float]] = {"name": [], "confirm": [], "reject": [], "merge": []}
    people = sorted(by_person)
    with library.labels_lock():
        for k in people[NAMED : NAMED + count]:
            timings["name"].append(
                timed(partial(edits.name, library, by_person[k][0], names[k]))[0]
            )
        current = state.read_state(library)
        asked = current.suggestions() or [r for r in current.assigned() if r.status == "clustered"]
        for row in asked[:count]:
            timings["confirm"].append(timed(partial(edits.confirm, library, [row.face]))[0])
        assigned = [r for r in state.read_state(library).assigned() if r.status == "clustered"]
        for i in rng.choice(len(assigned), count, replace=False).tolist():
            row = assigned[i]
            assert row.subject is not None
            timings["reject"].append(
                timed(partial(edits.reject, library, row.face, row.subject))[0]
            )
        for k in people[NAMED : NAMED + count]:
            # A second subject for a person, as two devices or a slip make: one of their
            # faces named apart, then merged back.
            current = state.read_state(library)
            subject = current.subject(names[k])
            assert subject is not None
            edits.name(library, current.faces_page(subject.id, 0, 1)[0].face, f"{names[k]}b")
            merge = partial(edits.merge, library, [f"{names[k]}b"], into=names[k])
            timings["merge"].append(timed(merge)[0])
    return timings


def _searches(library: Library, names: list[str], rng: np.random.Generator) -> dict[str, float]:
    """A search by person and year for each of the first people, in this warm process (the
    first, which reads the state the last edit left, apart)."""
    now = datetime(2026, 12, 2)
    ms = []
    for name in names[:20]:
        query = parse(library, f"{name} {int(rng.integers(FIRST_YEAR, LAST_YEAR + 1))}", now)
        ms.append(timed(partial(search, library, query, limit=50))[0])
    return {**summary(ms[1:]), "first_ms": round(ms[0], 1)}


def _people_screen(roost: Roost) -> int:
    """What `tui.screens.people` reads to open: the state, its subjects, the first cards'
    faces and thumbnails."""
    current = roost.state()
    subjects = current.subjects()
    shown = [f.face for row in subjects[:CARDS] for f in current.faces_page(row.id, 0, 4)]
    return len(roost.thumbnails(shown))


def _derive_new_faces(library: Library, rng: np.random.Generator) -> float:
    """Seconds `derive` takes for 1,000 new faces (copies of existing ones, perturbed)."""
    existing = library.faces.search().limit(1000).to_arrow()
    vectors = np.stack(existing["embedding"].to_numpy(zero_copy_only=False)).astype(np.float32)
    vectors += rng.normal(0.0, NOISE / np.sqrt(vectors.shape[1]), vectors.shape).astype(np.float32)
    hashes = [hashlib.sha256(f"new photo {i}".encode()).hexdigest() for i in range(len(vectors))]
    new = existing.set_column(
        existing.schema.get_field_index("id"), "id", pa.array([face_id(h, 0) for h in hashes])
    )
    new = new.set_column(new.schema.get_field_index("media_hash"), "media_hash", pa.array(hashes))
    new = new.set_column(
        new.schema.get_field_index("embedding"),
        "embedding",
        pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1]),
    )
    library.faces.add(new.cast(library.faces.schema))
    seconds, _ = timed(lambda: derive(library))
    return seconds / 1000.0


if __name__ == "__main__":
    raise SystemExit(main())
