"""Three real nodes in a private network namespace find each other over real mDNS, complete
Hello over mutual TLS, and spread a revocation among themselves.

Everything that touches the network runs inside the namespace (`prefix`); this process only
reads and writes the nodes' home directories.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.family import identity as identity_files
from tests.integration.nodes import Netns, Node, device, roost, roost_here, stop_all, wait_for

pytestmark = pytest.mark.timeout(180)

NAMES = ("alpha", "beta", "gamma")

BROWSE = """
import json, sys, time
from zeroconf import ServiceBrowser, Zeroconf, IPVersion
zc = Zeroconf(ip_version=IPVersion.V4Only)
names = []
ServiceBrowser(zc, "_roost._tcp.local.", handlers=[lambda **kw: names.append(kw["name"])])
deadline = time.monotonic() + 20
while len(set(names)) < int(sys.argv[1]) and time.monotonic() < deadline:
    time.sleep(0.1)
seen = {}
for name in set(names):
    info = zc.get_service_info("_roost._tcp.local.", name, timeout=3000)
    seen[name] = {k.decode(): (v or b"").decode() for k, v in info.properties.items()}
zc.close()
print(json.dumps(seen))
"""


@pytest.fixture
def netns() -> Iterator[Netns]:
    namespace = Netns()  # fails loudly, never skips, where namespaces are unavailable
    try:
        yield namespace
    finally:
        namespace.close()


def test_three_nodes_discover_each_other_and_revocation_spreads(
    netns: Netns, tmp_path: Path
) -> None:
    homes = {name: tmp_path / name for name in NAMES}
    created = roost_here(homes["alpha"], "family", "create", "Smiths", "--device-name", "alpha")
    assert created.code == 0, created.err
    nodes = {"alpha": Node(homes["alpha"], "--hello-interval", "1", prefix=netns.prefix)}
    try:
        for name in ("beta", "gamma"):
            code = roost_here(homes["alpha"], "family", "invite", "--json").json()["code"]
            # No --address: the joiner finds the inviter by mDNS, by the pin in the code.
            joined = roost(
                homes[name], "family", "join", code, "--device-name", name, prefix=netns.prefix
            )
            assert joined.code == 0, joined.err
            nodes[name] = Node(homes[name], "--hello-interval", "1", prefix=netns.prefix)
        ids = {name: identity_files.load(homes[name] / "identity").device_id for name in NAMES}

        for name, node in nodes.items():
            for other in NAMES:
                if other != name:
                    await_contact(node, ids[other], f"{name} to discover and greet {other}")

        announced = browse(netns, expected=3)
        assert {props["id"] for props in announced.values()} == set(ids.values())
        for props in announced.values():
            assert set(props) <= {"id", "pv", "pair"}, "TXT records carry nothing personal"
            assert not any(name in value for value in props.values() for name in NAMES)

        revoked = roost_here(homes["alpha"], "family", "revoke", "gamma", "--json").json()
        assert revoked["revoked"] == ids["gamma"]
        wait_for(
            "beta to learn of the revocation",
            lambda: device(homes["beta"], ids["gamma"]).get("revoked"),
        )
        for member in ("alpha", "beta"):
            address = nodes[member].address
            refused = roost(homes["gamma"], "node", "hello", address, prefix=netns.prefix)
            assert refused.code != 0 and f"{ids['gamma']} is revoked" in refused.err
    finally:
        stopped = stop_all(nodes.values())
    assert stopped == [0, 0, 0]


def await_contact(node: Node, other_id: str, what: str) -> None:
    """Wait until `node` has heard of `other_id` over mDNS and completed Hello with it."""

    def discovered() -> bool:
        return f"discovered {other_id}" in node.log()

    def greeted() -> str | None:
        last_seen: str | None = device(node.home, other_id).get("last_seen")
        return last_seen

    wait_for(what + " (mDNS)", discovered)
    wait_for(what + " (Hello)", greeted)


def browse(netns: Netns, expected: int) -> dict[str, dict[str, str]]:
    """What a bystander on the LAN sees of Roost: every announced service and its TXT."""
    done = subprocess.run(
        [*netns.prefix, sys.executable, "-c", BROWSE, str(expected)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    seen: dict[str, dict[str, str]] = json.loads(done.stdout)
    return seen
