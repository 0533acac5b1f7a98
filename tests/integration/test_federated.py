"""One real federated round: a coordinator and three nodes as separate processes on loopback.

Each node indexes different photos of the same four people (lfw_dev), and each person is
labeled on one device only. The coordinator runs `flower-superlink` behind its relay; every
node runs `flower-supernode` behind its tunnel. One SecAgg+ round must complete, its aggregate
must equal the plain sum of the three contributions (each device keeps a copy of its own), the
coordinator's view of the round must hold no contribution in the clear, a device of another
family and a revoked member must not take part, and afterwards each device must name faces of
people it never labeled. The devices share subject ids through label sync, which the running
nodes do by themselves.
"""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from coordinator.control import Control
from coordinator.family import FamilyState
from coordinator.rounds import paths_of
from node.family.identity import Identity
from node.library.store import Library
from node.model.clientapp import LAST_CONTRIBUTION
from node.model.personal import PersonalModel
from node.model.update import CLIP, FACE_CAP, SAMPLE_CAP, combine, unpack
from node.people import edits
from node.people.state import read_state
from node.settings import Home
from tests.conftest import TESTDATA, roost_json
from tests.family.families import add_member, new_family
from tests.integration.nodes import REPO, ROOST, Node, roost_here, stop_all, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

PEOPLE = ("Colin_Powell", "Donald_Rumsfeld", "David_Beckham", "Condoleezza_Rice")
DEVICES = ("alpha", "beta", "gamma")


@dataclass
class Federation:
    root: Path
    homes: dict[str, Path]
    identities: dict[str, Identity]
    subjects: dict[str, str]  # person → subject id, the same on every device
    labeled_on: dict[str, str]  # person → the one device where they are labeled
    nodes: list[Node]
    coordinator: subprocess.Popen[bytes]
    relay: str
    delta: Identity  # a member that will be revoked
    mallory: Identity  # a device of another family

    @property
    def admin(self) -> Path:
        return self.homes["alpha"]


def _photos(root: Path, device: int) -> Path:
    """Photos k, k+3, k+6 of each person: disjoint between devices, same people everywhere."""
    folder = root / f"photos-{DEVICES[device]}"
    for person in PEOPLE:
        mine = sorted((TESTDATA / "lfw_dev" / person).iterdir())[:9][device::3]
        (folder / person).mkdir(parents=True)
        for photo in mine:
            (folder / person / photo.name).symlink_to(photo)
    return folder


def _known(home: Path) -> dict[str, str]:
    """Person name → subject id, as this device's labels have them now."""
    labels = read_state(Library.open(home / "library")).labels
    return {s.name: s.id for s in labels.subjects.values()}


def _label(home: Path, folder: Path, person: str) -> None:
    library = Library.open(home / "library")
    for photo in sorted((folder / person).iterdir()):
        record = library.file(str(photo))
        assert record is not None, photo
        faces = library.faces_of(record["hash"], ["box"])
        face = max(faces, key=lambda f: (f["box"][2] - f["box"][0]) * (f["box"][3] - f["box"][1]))
        edits.name(library, face["id"], person)


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    root = tmp_path_factory.mktemp("federation")
    admin = new_family(root, admin="alpha")
    identities = {"alpha": admin} | {n: add_member(admin, root, n) for n in DEVICES[1:]}
    homes = {n: root / n for n in DEVICES}
    labeled_on = {p: DEVICES[i % 3] for i, p in enumerate(PEOPLE)}
    for k, name in enumerate(DEVICES):
        folder = _photos(root, k)
        roost_json("index", folder, home=homes[name])
        for person, where in labeled_on.items():
            if where == name:
                _label(homes[name], folder, person)
    nodes: list[Node] = []
    coordinator = None
    try:
        coordinator = _start_coordinator(homes["alpha"])
        relay = f"127.0.0.1:{_coordinator_port(homes['alpha'])}"
        alpha = Node(homes["alpha"], "--no-discovery")
        nodes.append(alpha)
        for name in DEVICES[1:]:
            nodes.append(Node(homes[name], "--no-discovery", "--peer", alpha.address))
        for home in homes.values():
            wait_for("labels synced", lambda h=home: set(_known(h)) == set(PEOPLE), 120)  # type: ignore[misc]
        subjects = _known(homes["alpha"])
        assert all(_known(h) == subjects for h in homes.values())  # one id per person everywhere
        delta = add_member(admin, root, "delta")
        mallory = new_family(root, family="Others", admin="mallory")
        for other in ("delta", "mallory"):
            shutil.copytree(homes["beta"] / "library", root / other / "library")
            nodes.append(Node(root / other, "--no-discovery", "--coordinator", relay))
        yield Federation(
            root, homes, identities, subjects, labeled_on, nodes, coordinator, relay, delta, mallory
        )
    finally:
        stop_all(nodes)
        if coordinator is not None:
            coordinator.send_signal(signal.SIGTERM)
            assert coordinator.wait(timeout=60) == 0


def _start_coordinator(home: Path) -> subprocess.Popen[bytes]:
    command = [*ROOST, "--home", str(home), "coordinator", "start", "--listen", "127.0.0.1:0"]
    command += ["--check-interval", "3600"]
    with open(home / "coordinator.stderr", "wb") as err:
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err)
    wait_for("the coordinator to listen", lambda: (home / "coordinator.json").exists(), 90)
    return process


def _coordinator_port(home: Path) -> int:
    return int(json.loads((home / "coordinator.json").read_text())["port"])


def _online(federation: Federation) -> set[int]:
    return Control(paths_of(Home(federation.admin))).online()


def test_a_secure_round_of_three_names_people_labeled_on_other_devices(
    federation: Federation,
) -> None:
    # Family devices' SuperNode keys are registered by themselves; a device of another family
    # never gets past the relay's handshake; a revoked member is unregistered and refused.
    state = FamilyState(paths_of(Home(federation.admin)).root)
    members = {*(i.device_id for i in federation.identities.values()), federation.delta.device_id}
    wait_for("four family SuperNodes online", lambda: len(_online(federation)) == 4, 240)
    assert set(state.registered()) == members
    coordinator_log = (federation.admin / "coordinator.log").read_text()
    assert "fleet tunnel from 127.0.0.1 refused" in coordinator_log
    revoked = roost_here(federation.admin, "family", "revoke", federation.delta.device_id, "--json")
    assert revoked.json()["revoked"] == federation.delta.device_id
    wait_for("delta unregistered", lambda: federation.delta.device_id not in state.registered(), 30)
    wait_for("three SuperNodes online", lambda: len(_online(federation)) == 3, 60)
    assert federation.mallory.device_id not in state.registered()
    stop_all(federation.nodes[3:])  # delta and mallory: their retries only cost CPU now

    with ObjectWatch(paths_of(Home(federation.admin)).database) as seen:
        done = subprocess.run(
            [*ROOST, "--home", str(federation.admin), "model", "round", "--json"],
            capture_output=True, text=True, cwd=REPO, timeout=400,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    ids = {n: i.device_id for n, i in federation.identities.items()}
    assert sorted(record["participants"]) == sorted(ids.values())
    assert record["secure_aggregation"] is True
    assert record["round"] == 1 and record["seconds"] > 0

    # The aggregate the coordinator made equals the plain sum of what the devices added,
    # within SecAgg+'s quantisation: each device's values are rounded to a 2^22-step grid over
    # [-CLIP, CLIP], so a sum of three is off by at most three steps, scaled back by FACE_CAP.
    aggregate = state.global_model()
    assert aggregate is not None
    parts = []
    for name in DEVICES:
        with np.load(federation.homes[name] / "library" / "model" / LAST_CONTRIBUTION) as saved:
            parts.append([saved[f"arr_{k}"] for k in range(len(saved.files))])
    plain = unpack([np.sum(arrays, axis=0) for arrays in zip(*parts, strict=True)])
    subjects = sorted(federation.subjects.values())
    expected = combine(plain, PersonalModel.initial(aggregate.dim), subjects, [], 1, True)
    assert list(aggregate.subjects) == subjects
    np.testing.assert_array_equal(aggregate.counts, expected.counts)
    assert set(aggregate.counts) == {3.0}  # three labeled faces of each person, one device each
    step = 2 * CLIP / 2**22
    np.testing.assert_allclose(
        aggregate.prototypes, expected.prototypes, atol=len(DEVICES) * step * FACE_CAP / 3
    )
    samples = plain.samples
    for ours, theirs in zip(aggregate.adapter.arrays(), expected.adapter.arrays(), strict=True):
        np.testing.assert_allclose(ours, theirs, atol=len(DEVICES) * step * SAMPLE_CAP / samples)
    np.testing.assert_allclose(aggregate.calibration.impostors, plain.impostors.round(), atol=0.5)

    # The coordinator's view holds no device's contribution in the clear: every object the
    # SuperLink stored during the round (messages live there until delivered) is searched for
    # each contribution's bytes. The aggregate model it sent out is found the same way, so the
    # search does see arrays in those objects.
    blobs = list(seen.values())
    assert len(blobs) > 20
    for arrays in parts:
        # The per-person sums (what identifies someone) and the trained weights, where a
        # device trained: windows of distinct values that cannot occur anywhere by chance.
        # (The counts and the histogram are a few small integers: no window of them is proof.)
        for array in (arrays[-3], arrays[0]):
            if np.count_nonzero(array) >= 16:
                assert not any(_contains(blob, array) for blob in blobs)
    assert any(_contains(blob, aggregate.prototypes) for blob in blobs)

    # Every device took the model, and names faces of people labeled only elsewhere.
    for name in DEVICES:
        home = federation.homes[name]
        status = roost_here(home, "model", "status", "--json").json()
        assert status["version"] == 1 and status["round"] == 1
        assert sorted(status["participants"]) == sorted(ids.values())
        assert status["subjects"] == len(PEOPLE)
        people = {p["name"]: p for p in roost_here(home, "people", "--json").json() if p["name"]}
        for person, where in federation.labeled_on.items():
            if where != name:
                row = people[person]
                assert row["faces"] + row["suggested"] >= 2, (name, person, row)


class ObjectWatch:
    """Every object the SuperLink's store holds while the block runs, by id (read-only reads
    of its SQLite database every 0.2 s, beside the running SuperLink)."""

    def __init__(self, database: Path) -> None:
        self._database = database
        self._seen: dict[str, bytes] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> dict[str, bytes]:
        self._thread.start()
        return self._seen

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        uri = f"file:{self._database}?mode=ro"
        while not self._stop.wait(0.2):
            try:
                with sqlite3.connect(uri, uri=True, timeout=1) as db:
                    for key, content in db.execute("select object_id, content from objects"):
                        if isinstance(content, bytes):
                            self._seen[str(key)] = content
            except sqlite3.Error:
                continue


def _contains(blob: bytes, array: np.ndarray) -> bool:
    """Whether `blob` holds `array`'s values, as float64 or float32: 16 consecutive values
    from its first non-zero one (zeros would match anything)."""
    values = np.asarray(array).ravel()
    start = int(np.flatnonzero(values)[0])
    window = values[start : start + 16]
    return any(window.astype(t).tobytes() in blob for t in (np.float64, np.float32))
