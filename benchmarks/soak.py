"""Soak and load: a real node under 10 family clients, then under the same clients plus hostile
ones, on loopback, for a bounded time.

The node is a real `roost node start` process serving a library of `--photos` photos (the
photos of `--data`, indexed by `roost index`, then copied under new content hashes up to that
count, with a label log naming their faces). Family clients are members of its family, each
in its own thread, greeting it and syncing labels over mutual TLS the way nodes do: `Hello`,
then `Labels.Pull` with their vector, `Labels.Vector`, and every tenth round a `Labels.Push` of
one new event. Hostile clients come from other loopback addresses:

- half-open TLS: connections that send half a ClientHello and hold (bounded by the handshake
  timeout and the per-address cap);
- oversized frames: a member sending `Ping`s over the 1 MiB limit;
- slow readers: members that open `Labels.Pull` and read one batch a second;
- a revoked device retrying `Hello` as fast as it is refused.

Phase one (baseline) runs the family clients alone, phase two adds the hostile ones, for
`--seconds` each. It prints latency percentiles of the family clients' rounds in each phase,
the ratio of the second to the first, their errors, and the node's open file descriptors, RSS
and connections sampled every second; the last line is one JSON object.

    python -m benchmarks.soak --data ../shared/testdata/faces [--seconds 60] [--home DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import psutil
import pyarrow as pa

from benchmarks.measure import REPO
from node.family import has_identity
from node.family import identity as identity_files
from node.family.identity import Identity
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.library.store import Library
from node.peer.client import PeerClient
from node.people.events import EventLog, now_us
from protocol.gen import roost_pb2, roost_pb2_grpc
from protocol.identity import cert_to_der, issue_device_certificate, make_csr, new_key
from protocol.labels import Edit, Kind, LabelEvent, Op, to_wire
from protocol.wire import MAX_PEER_MESSAGE_BYTES

FACES_PER_SUBJECT = 100


@dataclass
class Samples:
    """What one phase measured."""

    rounds: list[float] = field(default_factory=list)  # seconds per family round
    errors: list[str] = field(default_factory=list)
    hostile: dict[str, int] = field(default_factory=dict)  # attempts per kind
    node: list[dict[str, float]] = field(default_factory=list)  # fds, rss_mb, connections
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: str) -> None:
        with self.lock:
            self.hostile[kind] = self.hostile.get(kind, 0) + 1

    def summary(self) -> dict[str, Any]:
        rounds = sorted(self.rounds)
        cut = statistics.quantiles(rounds, n=100) if len(rounds) >= 2 else [0.0] * 99
        fds = [s["fds"] for s in self.node]
        rss = [s["rss_mb"] for s in self.node]
        return {
            "rounds": len(rounds),
            "p50_ms": round(cut[49] * 1000, 1),
            "p95_ms": round(cut[94] * 1000, 1),
            "p99_ms": round(cut[98] * 1000, 1),
            "errors": len(self.errors),
            "first_errors": self.errors[:3],
            "hostile_attempts": dict(self.hostile),
            "fds_first_last_max": [fds[0], fds[-1], max(fds)] if fds else [],
            "rss_mb_first_last_max": [rss[0], rss[-1], max(rss)] if rss else [],
            "connections_max": max((s["connections"] for s in self.node), default=0),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder of real photos")
    parser.add_argument("--home", type=Path, help="reuse (or keep) the node's home and index")
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0, help="per phase")
    args = parser.parse_args()
    with ExitStack() as stack:
        home = args.home or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        admin = _prepare(home, args.data.resolve(), args.photos)
        clients = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        members = [_member(admin, clients / f"member{i}") for i in range(args.clients + 4)]
        family, (oversized, slow_a, slow_b, revoked) = members[: args.clients], members[-4:]
        assert admin.ca_key is not None
        RevocationStore(admin.directory / REVOCATION_FILE, admin.ca_certificate).revoke(
            revoked.device_id, admin.ca_key
        )
        node = _Node(home)
        stack.callback(node.stop)
        print(f"node pid {node.pid} on {node.address}; {args.photos} photos", file=sys.stderr)
        # Warm up: the node opens its library on the first sync, and each member's first pull
        # takes the whole label log; neither is what a steady state measures.
        _phase(node, admin, family, [], seconds=min(args.seconds, 20.0))
        baseline = _phase(node, admin, family, [], args.seconds)
        hostile: list[Callable[[threading.Event, Samples], None]] = [
            lambda stop, s: _half_open(node, stop, s),
            lambda stop, s: _oversized(node, admin, oversized, stop, s),
            lambda stop, s: _slow_reader(node, admin, slow_a, stop, s),
            lambda stop, s: _slow_reader(node, admin, slow_b, stop, s),
            lambda stop, s: _revoked_retrying(node, admin, revoked, stop, s),
        ]
        soak = _phase(node, admin, family, hostile, args.seconds)
        alive = node.alive()
    result = {
        "photos": args.photos,
        "clients": args.clients,
        "seconds_per_phase": args.seconds,
        "baseline": baseline.summary(),
        "soak": soak.summary(),
        "p95_ratio": _ratio(soak.summary()["p95_ms"], baseline.summary()["p95_ms"]),
        "p99_ratio": _ratio(soak.summary()["p99_ms"], baseline.summary()["p99_ms"]),
        "node_alive": alive,
    }
    for name, phase in (("baseline", baseline), ("soak", soak)):
        summary = phase.summary()
        print(
            f"{name:8} rounds {summary['rounds']:5}  p50 {summary['p50_ms']:7.1f} ms  "
            f"p95 {summary['p95_ms']:7.1f} ms  p99 {summary['p99_ms']:7.1f} ms  "
            f"errors {summary['errors']}  fds {summary['fds_first_last_max']}  "
            f"rss {summary['rss_mb_first_last_max']} MB"
        )
        print(
            "  node over time (fds, rss MB, connections): "
            + " ".join(
                f"{s['fds']:.0f}/{s['rss_mb']:.0f}/{s['connections']:.0f}" for s in phase.node[::5]
            )
        )
    print(json.dumps(result))
    return 0 if alive and not soak.errors and not baseline.errors else 1


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


# -- the node and its library ---------------------------------------------------------------


def _prepare(home: Path, data: Path, photos: int) -> Identity:
    """A family admin with an index of `data` grown to `photos` photos and a label log."""
    if not has_identity(home / "identity"):
        identity_files.create_family(home / "identity", "Soakers", "node")
    admin = identity_files.load(home / "identity")
    library_json = home / "library" / "library.json"
    if not library_json.exists():
        cmd = [sys.executable, "-m", "node.cli", "--home", str(home), "index", str(data)]
        subprocess.run([*cmd, "--json"], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    library = Library.open(home / "library")
    if len(library.media_hashes()) < photos:
        _grow(library, photos)
        _label(library)
    return admin


def _grow(library: Library, photos: int) -> None:
    """Copy the real photos' rows under new content hashes until there are `photos`."""
    media = library.media.to_arrow().to_pylist()
    faces = library.faces.to_arrow().to_pylist()
    files = library.files.to_arrow().to_pylist()
    faces_of: dict[str, list[dict[str, Any]]] = {}
    for face in faces:
        faces_of.setdefault(face["media_hash"], []).append(face)
    path_of = {f["hash"]: f for f in files}
    new_media, new_faces, new_files = [], [], []
    for n in range(photos - len(media)):
        source = media[n % len(media)]
        digest = hashlib.sha256(f"{source['hash']}/{n}".encode()).hexdigest()
        new_media.append({**source, "hash": digest})
        for face in faces_of.get(source["hash"], []):
            face_id = f"{digest[:16]}-{face['idx']}"
            new_faces.append({**face, "id": face_id, "media_hash": digest})
        original = path_of[source["hash"]]
        new_files.append({**original, "path": f"{original['path']}.copy{n}", "hash": digest})
    for table, rows in ((library.faces, new_faces), (library.media, new_media)):
        for start in range(0, len(rows), 2000):
            table.add(pa.Table.from_pylist(rows[start : start + 2000], table.schema))
    library.files.add(pa.Table.from_pylist(new_files, library.files.schema))


def _label(library: Library) -> None:
    """Name every `FACES_PER_SUBJECT` faces a person: the log members pull on first sync."""
    faces = sorted(library.faces.search().select(["id"]).limit(None).to_arrow()["id"].to_pylist())
    log = EventLog(library)
    edits = []
    for n, start in enumerate(range(0, len(faces), FACES_PER_SUBJECT)):
        subject = str(uuid.uuid4())
        edits.append(Edit(Op.SUBJECT, subject, name=f"Person {n}", kind=Kind.PERSON))
        edits.append(
            Edit(Op.ASSIGN, subject, faces=tuple(faces[start : start + FACES_PER_SUBJECT]))
        )
    log.append(edits, log.read())


def _member(admin: Identity, root: Path) -> Identity:
    assert admin.ca_key is not None
    shutil.rmtree(root, ignore_errors=True)
    key = new_key()
    certificate = issue_device_certificate(
        make_csr(key, root.name), admin.ca_certificate, admin.ca_key
    )
    return identity_files.save(root / "identity", key, certificate, admin.ca_certificate)


class _Node:
    def __init__(self, home: Path) -> None:
        (home / "node.json").unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "node.cli", "--home", str(home), "node", "start"]
        cmd += ["--listen", "127.0.0.1:0", "--no-discovery", "--hello-interval", "30"]
        self._process = subprocess.Popen(
            cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        while not (home / "node.json").exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the node did not start; see its node.log")
            time.sleep(0.2)
        self.port = int(json.loads((home / "node.json").read_text())["port"])
        self.address = f"127.0.0.1:{self.port}"
        self.pid = self._process.pid
        self._info = psutil.Process(self.pid)

    def sample(self) -> dict[str, float]:
        """The node's open descriptors, RSS, and connections to its family port."""
        with self._info.oneshot():
            connections = self._info.net_connections("tcp")
            return {
                "fds": self._info.num_fds(),
                "rss_mb": round(self._info.memory_info().rss / 2**20, 1),
                "connections": sum(
                    c.laddr.port == self.port and bool(c.raddr) for c in connections
                ),
            }

    def alive(self) -> bool:
        return self._process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self._process.terminate()
            self._process.wait(timeout=30)


# -- the phases and the clients --------------------------------------------------------------


def _phase(
    node: _Node,
    admin: Identity,
    family: list[Identity],
    hostile: list[Callable[[threading.Event, Samples], None]],
    seconds: float,
) -> Samples:
    samples = Samples()
    stop = threading.Event()
    threads = [
        threading.Thread(target=_family_client, args=(node, admin, m, stop, samples))
        for m in family
    ]
    threads += [threading.Thread(target=h, args=(stop, samples)) for h in hostile]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        samples.node.append(node.sample())
        time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join(timeout=90)
    return samples


def _client(member: Identity) -> PeerClient:
    revocations = RevocationStore(member.directory / REVOCATION_FILE, member.ca_certificate)
    return PeerClient(member, revocations)


def _family_client(
    node: _Node, admin: Identity, member: Identity, stop: threading.Event, samples: Samples
) -> None:
    client = _client(member)
    vector: dict[str, int] = {}
    round_number = 0
    while not stop.is_set():
        round_number += 1
        started = time.perf_counter()
        call = "Hello"
        try:
            with client.service(node.address, admin.device_id, roost_pb2_grpc.PeerStub) as peer:
                peer.Hello(_greeting(member), timeout=10)
            with client.service(node.address, admin.device_id, roost_pb2_grpc.LabelsStub) as labels:
                call = "Pull"
                for batch in labels.Pull(_vector(vector), timeout=30):
                    for event in batch.events:
                        vector[event.replica] = max(vector.get(event.replica, 0), event.at)
                call = "Vector"
                labels.Vector(roost_pb2.VectorRequest(), timeout=10)
                if round_number % 10 == 0:
                    call = "Push"
                    labels.Push(iter([_one_event(member)]), timeout=10)
        except grpc.RpcError as exc:
            with samples.lock:
                samples.errors.append(f"{member.name} {call}: {exc.code().name}: {exc.details()}")
            stop.wait(1.0)
            continue
        with samples.lock:
            samples.rounds.append(time.perf_counter() - started)
        stop.wait(0.5)


def _greeting(member: Identity) -> roost_pb2.Greeting:
    return roost_pb2.Greeting(
        device_id=member.device_id,
        name=member.name,
        protocol_version=1,
        certificate=cert_to_der(member.certificate),
    )


def _vector(newest: dict[str, int]) -> roost_pb2.VersionVector:
    clocks = [roost_pb2.ReplicaClock(replica=r, at=at) for r, at in sorted(newest.items())]
    return roost_pb2.VersionVector(replicas=clocks)


def _one_event(member: Identity) -> roost_pb2.LabelBatch:
    edit = Edit(
        Op.SUBJECT,
        str(uuid.uuid4()),
        name=f"Pet {uuid.uuid4().hex[:8]}",
        kind=Kind.PET,
    )
    event = LabelEvent(edit, uuid.uuid4().hex, now_us(), member.device_id)
    return roost_pb2.LabelBatch(events=[to_wire(event)])


def _half_open(node: _Node, stop: threading.Event, samples: Samples) -> None:
    """Keep 200 connections from 127.0.0.2 that sent half a ClientHello."""
    held: list[socket.socket] = []
    while not stop.is_set():
        try:
            sock = socket.create_connection(
                ("127.0.0.1", node.port), timeout=2, source_address=("127.0.0.2", 0)
            )
            sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
            held.append(sock)
            samples.count("half_open")
        except OSError:
            samples.count("half_open_refused")
        if len(held) >= 200:
            held.pop(0).close()
        stop.wait(0.02)
    for sock in held:
        sock.close()


def _oversized(
    node: _Node, admin: Identity, member: Identity, stop: threading.Event, samples: Samples
) -> None:
    client = _client(member)
    huge = roost_pb2.Echo(payload=bytes(MAX_PEER_MESSAGE_BYTES + 1))
    while not stop.is_set():
        try:
            with client.service(node.address, admin.device_id, roost_pb2_grpc.PeerStub) as stub:
                stub.Ping(huge, timeout=10)
            samples.count("oversized_accepted")
        except grpc.RpcError:
            samples.count("oversized_refused")
        stop.wait(0.1)


def _slow_reader(
    node: _Node, admin: Identity, member: Identity, stop: threading.Event, samples: Samples
) -> None:
    client = _client(member)
    while not stop.is_set():
        try:
            with client.service(node.address, admin.device_id, roost_pb2_grpc.LabelsStub) as stub:
                for _ in _slowly(stub.Pull(roost_pb2.VersionVector(), timeout=55), stop):
                    samples.count("slow_read_batch")
        except grpc.RpcError:
            samples.count("slow_read_cut")


def _slowly(stream: Iterator[Any], stop: threading.Event) -> Iterator[Any]:
    for item in stream:
        yield item
        if stop.wait(1.0):
            stream.cancel()  # type: ignore[attr-defined]
            return


def _revoked_retrying(
    node: _Node, admin: Identity, member: Identity, stop: threading.Event, samples: Samples
) -> None:
    # Its own list does not revoke it, so it keeps calling.
    client = PeerClient(
        member, RevocationStore(member.directory / "none.pb", member.ca_certificate)
    )
    while not stop.is_set():
        try:
            with client.service(node.address, admin.device_id, roost_pb2_grpc.PeerStub) as stub:
                stub.Hello(_greeting(member), timeout=5)
            samples.count("revoked_admitted")
        except grpc.RpcError as exc:
            samples.count(f"revoked_{exc.code().name.lower()}")


if __name__ == "__main__":
    sys.exit(main())
