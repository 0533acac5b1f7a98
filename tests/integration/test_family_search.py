"""Three real nodes, one family, one private network namespace: names given on different
devices reach all three, a search from each device finds the photos all three hold, a node
SIGKILLed mid-query costs only its own hits, and a revoked device is cut off.

Each device indexes a different part of `../shared/testdata/faces` (three photos of one
person; the third device also holds a copy of one of the first's photos, which shares its
labels because face ids are content hashes). The family is made by the real commands and
every network call runs inside the namespace (real mDNS, real mutual TLS); this process reads
and writes the homes only.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from node.family import identity as identity_files
from tests.conftest import TESTDATA
from tests.integration.nodes import REPO, ROOST, Netns, Node, roost, roost_here, stop_all, wait_for

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]

NAMES = ("alpha", "beta", "gamma")
PHOTOS = {
    "alpha": ["faces/id04/img13.jpg", "faces/id04/img14.jpg", "faces/id04/img15.jpg"],
    "beta": ["faces/id05/img16.jpg", "faces/id05/img17.jpg", "faces/id05/img59.jpg"],
    "gamma": ["faces/id06/img29.jpg", "faces/id06/img30.jpg", "faces/id06/img31.jpg",
              "faces/id04/img13.jpg"],
}  # fmt: skip
PEOPLE = {"alpha": "Alice", "beta": "Bob", "gamma": "Carol"}  # who each device names
SHARED = "faces/id04/img13.jpg"  # on alpha and gamma


@dataclass
class Trio:
    netns: Netns
    homes: dict[str, Path]
    nodes: dict[str, Node]
    ids: dict[str, str]

    def run(self, name: str, *args: str) -> Any:
        return roost(self.homes[name], *args, prefix=self.netns.prefix).json()

    def start(self, name: str, *args: str) -> subprocess.Popen[str]:
        """`roost ARGS` on device `name`, in the namespace, running in the background."""
        command = [*self.netns.prefix, *ROOST, "--home", str(self.homes[name]), *args]
        return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)


def sha256(relative: str) -> str:
    return hashlib.sha256((TESTDATA / relative).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def trio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trio]:
    root = tmp_path_factory.mktemp("trio")
    homes = {name: root / name for name in NAMES}
    indexing = []
    for name in NAMES:  # index the three libraries at once, each its own part of faces/
        photos = root / "photos" / name
        for relative in PHOTOS[name]:
            (photos / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(TESTDATA / relative, photos / relative)
        command = [*ROOST, "--home", str(homes[name]), "index", str(photos), "--json"]
        indexing.append(subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL))
    assert [p.wait(timeout=500) for p in indexing] == [0, 0, 0]
    netns = Netns()
    nodes: dict[str, Node] = {}
    try:
        created = roost_here(homes["alpha"], "family", "create", "Smiths", "--device-name", "alpha")
        assert created.code == 0, created.err
        nodes["alpha"] = Node(homes["alpha"], prefix=netns.prefix)
        for name in ("beta", "gamma"):
            code = roost_here(homes["alpha"], "family", "invite", "--json").json()["code"]
            joined = roost(
                homes[name], "family", "join", code, "--device-name", name, prefix=netns.prefix
            )
            assert joined.code == 0, joined.err
            nodes[name] = Node(homes[name], prefix=netns.prefix)
        ids = {name: identity_files.load(homes[name] / "identity").device_id for name in NAMES}
        yield Trio(netns, homes, nodes, ids)
    finally:
        stop_all(nodes.values())
        netns.close()


def people(home: Path) -> dict[str, int]:
    rows = roost_here(home, "people", "--json").json()
    return {row["name"]: row["faces"] for row in rows if row["name"]}


def knows_all(home: Path) -> bool:
    return set(PEOPLE.values()) <= set(people(home))


def test_names_given_on_each_device_reach_all_three(trio: Trio) -> None:
    for name, person in PEOPLE.items():
        clusters = [r for r in roost_here(trio.homes[name], "people", "--json").json()
                    if r["kind"] == "cluster"]  # fmt: skip
        biggest = max(clusters, key=lambda r: r["faces"])
        assert biggest["faces"] == 3, clusters
        named = roost_here(trio.homes[name], "name", biggest["id"], person)
        assert named.code == 0, named.err
    for home in trio.homes.values():  # the nodes sync by themselves, soon after each edit
        wait_for(f"{home.name} to hear every name", functools.partial(knows_all, home), 60)
    # Beta holds no photo of Alice; gamma holds one, which it now knows is Alice.
    assert people(trio.homes["beta"])["Alice"] == 0
    assert people(trio.homes["gamma"])["Alice"] == 1
    status = trio.run("alpha", "sync", "--json")
    assert {row["name"]: row["error"] for row in status["peers"]} == {"beta": None, "gamma": None}


def test_a_search_from_each_device_finds_the_photos_all_three_hold(trio: Trio) -> None:
    holders = {name: {sha256(p) for p in PHOTOS[name]} for name in NAMES}
    expected = {
        "Alice": {sha256(p) for p in PHOTOS["alpha"]},
        "Bob": {sha256(p) for p in PHOTOS["beta"]},
        "Carol": {sha256(p) for p in PHOTOS["gamma"] if p != SHARED},
    }
    searches = {
        # A generous deadline: nine searches share two loaded cores here. Deadlines have a
        # test of their own below.
        (asker, person): trio.start(asker, "search", person, "--json", "--timeout", "30")
        for asker in NAMES
        for person in PEOPLE.values()
    }
    for (asker, person), process in searches.items():
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0
        answer = json.loads(out)
        found = {hit["media"] for hit in answer["hits"]}
        assert found == expected[person], (asker, person, answer["devices"])
        for hit in answer["hits"]:
            holder = {trio.ids[n]: n for n in NAMES}[hit["device_id"]]
            assert hit["media"] in holders[holder] and hit["device"] == holder
            assert ("path" in hit) == (holder == asker)
            assert person in hit["people"]
        if asker == "gamma" and person == "Alice":
            shared = next(h for h in answer["hits"] if h["media"] == sha256(SHARED))
            assert shared["device"] == "gamma" and shared["also_on"] == [trio.ids["alpha"]]
        asked = {d["name"]: d for d in answer["devices"]}
        assert set(asked) == set(NAMES) and all(d["answered"] for d in asked.values())
        assert answer["devices"][0]["name"] == asker


def test_a_node_killed_mid_query_costs_only_its_own_hits(trio: Trio) -> None:
    """Gamma's node is frozen, so the query is certainly in flight on it, then SIGKILLed: beta
    still gets alpha's photos of Alice, and gamma is reported."""
    gamma = trio.nodes["gamma"].process
    gamma.send_signal(signal.SIGSTOP)
    search = trio.start("beta", "search", "Alice", "--json", "--timeout", "15")
    time.sleep(2)  # the command starts and calls gamma
    gamma.send_signal(signal.SIGKILL)
    gamma.wait(timeout=10)
    out, _ = search.communicate(timeout=60)
    assert search.returncode == 0
    answer = json.loads(out)
    asked = {d["name"]: d for d in answer["devices"]}
    assert asked["gamma"]["answered"] is False and asked["gamma"]["error"]
    assert asked["alpha"]["answered"] and asked["beta"]["answered"]
    assert {h["media"] for h in answer["hits"]} == {sha256(p) for p in PHOTOS["alpha"]}
    assert {h["device"] for h in answer["hits"]} == {"alpha"}
    assert any("gamma did not answer" in note for note in answer["notes"])


def test_a_revoked_device_gets_no_answers_and_its_names_are_refused(trio: Trio) -> None:
    revoked = roost_here(trio.homes["alpha"], "family", "revoke", "beta", "--json").json()
    assert revoked["revoked"] == trio.ids["beta"]
    answer = trio.run("beta", "search", "Alice", "--json", "--timeout", "20")
    asked = {d["name"]: d for d in answer["devices"]}
    assert "PERMISSION_DENIED" in asked["alpha"]["error"] and answer["hits"] == []
    cluster = next(r for r in roost_here(trio.homes["beta"], "people", "--json").json()
                   if r["name"] == "Bob")  # fmt: skip
    assert roost_here(trio.homes["beta"], "rename", cluster["id"], "Robert").code == 0
    pushed = trio.run("beta", "sync", "--json", "--timeout", "20")
    (to_alpha,) = [row for row in pushed["peers"] if row["name"] == "alpha"]
    assert "PERMISSION_DENIED" in to_alpha["error"] and to_alpha["sent"] == 0
    assert "Robert" not in people(trio.homes["alpha"]) and "Bob" in people(trio.homes["alpha"])
    mine = trio.run("alpha", "search", "Bob", "--json", "--timeout", "20")
    assert "beta" not in {d["name"] for d in mine["devices"]}, "members do not ask it"
