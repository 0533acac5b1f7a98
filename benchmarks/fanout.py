"""Fan-out search over three family devices on loopback, against a local-only search.

Indexes `--data` once with `roost index` (real faces), then builds three device libraries of
`--photos` photos each by repeating those photos (each copy with its own content hash, so the
three devices hold different photos) and names the largest cluster on each "Alice". Each device
runs as a real `roost node start` process on loopback with real mutual TLS. An asker holding a
library of the same size then searches "Alice": local-only (its own index) and fanned out (its
own and the three devices', merged), `--runs` times each after 3 warm-up runs, in the same
process tree. Finally the whole `roost search` command is timed as a user would run it: with
the asker's own node running (which then answers it), and without.

All four devices share this machine's cores, where a family's each have their own: the asker's
own search and three devices' answers run at once. So the CPU time each takes is measured too
(`cpu_ms`: this process per search, each device's node per answer), and from it the least a
fan-out can take here if the cores were never idle (`cpu_floor_over_local`): the total
CPU of one fan-out over the cores, against a local search.

    python -m benchmarks.fanout --data ../shared/testdata/faces

Goals: fan-out p95 < 300 ms and within 2x of local-only; the command under 1 s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa

from benchmarks.measure import REPO, index_with_roost, percentile, run_measured
from node.derive import derive
from node.library.schema import FILES, MEDIA, THUMBNAILS
from node.library.store import Library, write_lock
from node.peer.device import Device
from node.peer.search import ask
from node.people import edits
from node.people.state import read_state
from node.search.family import search_family
from node.search.run import parse
from node.settings import Home
from protocol.search import SearchRequest
from tests.family.families import add_member, new_family
from tests.integration.nodes import Node, stop_all

QUERY = "Alice"
WARMUP = 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder of photos with faces")
    parser.add_argument("--photos", type=int, default=10_000, help="photos per device")
    parser.add_argument("--runs", type=int, default=40, help="searches of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="roost-fanout-") as tmp:
        root = Path(tmp)
        base = index_with_roost(args.data.resolve(), root / "base")
        print(f"indexed {base.media.count_rows()} photos; building 4 libraries", file=sys.stderr)
        admin = new_family(root, admin="asker")
        homes = [Home(root / "asker")]
        homes += [Home(add_member(admin, root, f"device{n}").directory.parent) for n in (1, 2, 3)]
        for n, home in enumerate(homes):
            build(base, home, args.photos, tag=f"device{n}")
        asker = Device.load(homes[0])
        nodes = [Node(home.root, "--no-discovery") for home in homes[1:]]
        try:
            for node, home in zip(nodes, homes[1:], strict=True):
                asker.directory.record(Device.load(home).identity.member, address=node.address)
            result = measure(asker, args.runs, [psutil.Process(n.process.pid) for n in nodes])
            command = [sys.executable, "-m", "node.cli", "--home", str(homes[0].root)]
            search = [*command, "search", QUERY, "--json"]
            alone = [run_measured(search).seconds for _ in range(3)]  # no node of its own
            own = Node(homes[0].root, "--no-discovery")  # the usual case: the node answers
            try:
                run_measured(search)  # the node opens its index once
                commands = [run_measured(search) for _ in range(5)]
            finally:
                own.stop()
        finally:
            stop_all(nodes)
    result["command_s_median_of_5"] = round(statistics.median(c.seconds for c in commands), 3)
    result["command_cpu_s_median_of_5"] = round(
        statistics.median(c.cpu_seconds for c in commands), 3
    )
    result["load_average_1min"] = round(os.getloadavg()[0], 1)
    result["command_without_node_s_median_of_3"] = round(statistics.median(alone), 3)
    result["photos_per_device"] = args.photos
    result["goals"] = {
        "fanout_p95_under_300ms": result["fanout_ms"]["p95"] < 300,
        "fanout_within_2x_local": result["fanout_over_local_p95"] <= 2.0,
        "command_under_1s": result["command_s_median_of_5"] < 1.0,
    }
    print(
        f"local p50 {result['local_ms']['p50']} ms, p95 {result['local_ms']['p95']} ms; "
        f"fan-out p50 {result['fanout_ms']['p50']} ms, p95 {result['fanout_ms']['p95']} ms "
        f"({result['fanout_over_local_p95']}x); roost search {result['command_s_median_of_5']} s "
        f"({result['command_cpu_s_median_of_5']} s of CPU; "
        f"{result['command_without_node_s_median_of_3']} s without a node of its own); "
        f"CPU per local search {result['cpu_ms']['local_search']} ms, per fan-out here "
        f"{result['cpu_ms']['fanout_asker']} ms and per device's answer "
        f"{result['cpu_ms']['answer_per_device']} ms: on {result['cores']} cores a fan-out takes "
        f"at least {result['cpu_floor_over_local']}x a local search; "
        f"load average {result['load_average_1min']}"
    )
    print(json.dumps(result))
    return 0


def measure(asker: Device, runs: int, devices: list[psutil.Process]) -> dict[str, Any]:
    library = asker.library
    query = parse(library, QUERY, datetime.now())
    times: dict[str, list[float]] = {"local": [], "fanout": []}
    own_cpu = {"local": 0.0, "fanout": 0.0}  # seconds this process spent, per kind
    devices_cpu = 0.0  # seconds the devices' nodes spent during the fan-outs
    hits: dict[str, int] = {}
    answered: list[int] = []
    for run in range(runs + WARMUP):
        for kind in ("local", "fanout"):
            cpu_before, devices_before = _own_cpu(), _cpu(devices)
            started = time.perf_counter()
            answer = search_family(library, query, asker, local=kind == "local")
            if run >= WARMUP:  # the first searches open indexes and connections
                times[kind].append((time.perf_counter() - started) * 1000)
                own_cpu[kind] += _own_cpu() - cpu_before
                if kind == "fanout":
                    devices_cpu += _cpu(devices) - devices_before
            hits[kind] = len(answer.hits)
            if kind == "fanout":
                answered.append(sum(d.answered for d in answer.devices))
    summary = {kind: _percentiles(values) for kind, values in times.items()}
    local_cpu, fanout_cpu = (own_cpu[k] * 1000 / runs for k in ("local", "fanout"))
    per_answer = devices_cpu * 1000 / runs / len(devices)
    cores = os.cpu_count() or 1
    return {
        "local_ms": summary["local"],
        "fanout_ms": summary["fanout"],
        "fanout_over_local_p95": round(summary["fanout"]["p95"] / summary["local"]["p95"], 2),
        "cpu_ms": {
            "local_search": round(local_cpu, 1),
            "fanout_asker": round(fanout_cpu, 1),
            "answer_per_device": round(per_answer, 1),
        },
        "cores": cores,
        "cpu_floor_over_local": round(
            (fanout_cpu + per_answer * len(devices)) / min(cores, 1 + len(devices)) / local_cpu, 2
        ),
        "hits": hits,
        "devices_answered_min": min(answered),
        "thumbnail_bytes_per_hit": _thumbnail_bytes(asker, query),
    }


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu(processes: list[psutil.Process]) -> float:
    return float(sum(sum(p.cpu_times()[:2]) for p in processes))  # user + system


def _thumbnail_bytes(asker: Device, query: Any) -> float:
    """The mean size of the thumbnails one device's answer carried (the merged answer may
    show this device's own copies only, which are read from disk)."""
    peer = asker.peers()[0]
    state = read_state(asker.library)
    ids = tuple(s.id for name in query.subjects if (s := state.labels.by_name(name)))
    answer = ask(asker, peer, SearchRequest(query, ids, 50), time.monotonic() + 30)
    sizes = [len(hit.thumbnail) for hit in answer.hits]
    return round(sum(sizes) / len(sizes), 1) if sizes else 0.0


def _percentiles(values: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 0.5), 1), "p95": round(percentile(values, 0.95), 1)}


def build(base: Library, home: Home, photos: int, tag: str) -> None:
    """A library of `photos` copies of `base`'s photos, new hashes for each copy, derived
    (clusters, people state) as after an index run, its largest cluster named Alice."""
    media = base.media.search().limit(None).to_arrow().to_pylist()
    faces = base.faces.search().limit(None).to_arrow().to_pylist()
    files = base.files.search().limit(None).to_arrow().to_pylist()
    thumbnails = {
        row["hash"]: row for row in base.thumbnail_table.search().limit(None).to_arrow().to_pylist()
    }
    path_of = {row["hash"]: row["path"] for row in files}
    faces_of: dict[str, list[dict[str, object]]] = {}
    for face in faces:
        faces_of.setdefault(face["media_hash"], []).append(face)
    library = Library.open(home.library, embedder=base.embedder, dim=128)
    new_media, new_faces, new_files, new_thumbnails = [], [], [], []
    for n in range(photos):
        source = media[n % len(media)]
        digest = hashlib.sha256(f"{source['hash']}-{tag}-{n}".encode()).hexdigest()
        new_media.append({**source, "hash": digest})
        new_files.append({**_file(path_of, source["hash"]), "path": f"/copies/{tag}/{n}.jpg",
                          "hash": digest})  # fmt: skip
        if source["hash"] in thumbnails:
            new_thumbnails.append({**thumbnails[source["hash"]], "hash": digest})
        for face in faces_of.get(source["hash"], []):
            new_faces.append({**face, "media_hash": digest, "id": f"{digest[:16]}-{face['idx']}"})
    library.faces.add(pa.Table.from_pylist(new_faces, library.faces.schema))
    library.media.add(pa.Table.from_pylist(new_media, MEDIA))
    library.files.add(pa.Table.from_pylist(new_files, FILES))
    library.thumbnail_table.add(pa.Table.from_pylist(new_thumbnails, THUMBNAILS))
    library.compact()  # as an index run ends: fragments merged, scalar indexes made
    with write_lock(home.library_lock):
        derive(library)
        clusters = [row for row in read_state(library).subjects() if row.kind == "cluster"]
        edits.name(library, max(clusters, key=lambda row: row.faces).id, QUERY)


def _file(path_of: dict[str, str], digest: str) -> dict[str, object]:
    return {"path": path_of[digest], "hash": digest, "size": 1, "mtime_ns": 0}


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
