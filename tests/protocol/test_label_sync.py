"""The label contract on the wire and in anti-entropy: validation, version vectors, the clock
guard, and (hypothesis) convergence under any interleaving, duplication, batching and loss."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.library.schema import face_id
from node.vision.tables import body_id
from protocol.gen import roost_pb2
from protocol.labels import (
    MAX_CLOCK_AHEAD_US,
    MAX_FACES_PER_EVENT,
    Edit,
    Kind,
    LabelEvent,
    LabelWireError,
    Op,
    Source,
    VersionVector,
    accept,
    batches,
    fold,
    from_wire,
    missing,
    to_wire,
)
from tests.protocol.replicas import Replica, over_the_wire, send, settle, state

SUBJECTS = [str(uuid.UUID(int=n + 1)) for n in range(4)]
FACES = [f"{n:016x}-{i}" for n in range(3) for i in range(2)]
NAMES = ["Alice", "alice", "Bob", "Carl", "Scooby"]
DEVICE = "A" * 52
T0 = 1_700_000_000_000_000


def event(edit: Edit, at: int = T0, replica: str = DEVICE) -> LabelEvent:
    return LabelEvent(edit, uuid.uuid4().hex, at, replica)


def test_every_op_round_trips_through_the_wire() -> None:
    alice, bob = SUBJECTS[:2]
    edits = [
        Edit(Op.SUBJECT, alice, name="Alice", kind=Kind.PERSON),
        Edit(Op.SUBJECT, bob),
        Edit(Op.ASSIGN, alice, faces=tuple(FACES[:2])),
        Edit(Op.REJECT, alice, faces=(FACES[2],)),
        Edit(Op.MERGE, bob, into=alice),
        Edit(Op.FORGET, bob, source=Source.USER),
    ]
    for edit in edits:
        sent = event(edit)
        data = to_wire(sent).SerializeToString()
        assert from_wire(roost_pb2.LabelEvent.FromString(data)) == sent


def _tampered(**fields: object) -> roost_pb2.LabelEvent:
    message = to_wire(event(Edit(Op.ASSIGN, SUBJECTS[0], faces=(FACES[0],))))
    for key, value in fields.items():
        if isinstance(value, list):
            del getattr(message, key)[:]
            getattr(message, key).extend(value)
        else:
            setattr(message, key, value)
    return message


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"op": "rename"}, "unknown op 'rename'"),
        ({"source": "xmp"}, "unknown source 'xmp' (this device knows user"),
        ({"source": ""}, "unknown source ''"),
        ({"id": "not-hex"}, "32 lower-case hex"),
        ({"replica": "/etc/passwd"}, "no device id"),
        ({"subject": "alice"}, "no subject id"),
        ({"at": -5}, "positive"),
        ({"faces": ["../../photo.jpg"]}, "no face id"),
        ({"faces": []}, "only assign and reject name faces"),
        ({"faces": [FACES[0]] * (MAX_FACES_PER_EVENT + 1)}, "more than"),
        ({"name": "Alice"}, "only a subject event carries a name"),
        ({"kind": "dragon"}, "unknown kind 'dragon'"),
        ({"op": "subject", "faces": [], "name": "x" * 81}, "1 to 80 characters"),
        ({"op": "subject", "faces": [], "name": "Al\x00ice"}, "control characters"),
        ({"op": "merge", "faces": []}, "only a merge, names a subject id"),
        ({"into": SUBJECTS[1]}, "only a merge, names a subject id"),
    ],
)
def test_a_malformed_event_is_refused_with_a_reason(
    fields: dict[str, object], problem: str
) -> None:
    with pytest.raises(LabelWireError, match=problem.replace("(", r"\(")):
        from_wire(_tampered(**fields))


def test_a_pets_body_is_labelled_over_the_wire_as_a_face_is() -> None:
    """Bodies (pets, and people whose face was not found) are named, merged and rejected through
    the same label log as faces, so the ids the index gives them must cross the wire."""
    media = "ab" * 32
    scooby = SUBJECTS[2]
    bodies = (body_id(media, 0), body_id(media, 12))
    faces = (face_id(media, 0), *bodies)
    for edit in (
        Edit(Op.SUBJECT, scooby, name="Scooby", kind=Kind.PET),
        Edit(Op.ASSIGN, scooby, faces=faces),
        Edit(Op.REJECT, scooby, faces=bodies[:1]),
    ):
        sent = event(edit)
        data = to_wire(sent).SerializeToString()
        assert from_wire(roost_pb2.LabelEvent.FromString(data)) == sent


@pytest.mark.parametrize("crop", ["abababababababab-b", "abababababababab-o1", "ababababab-b1",
                                  "abababababababab-bb1", "abababababababab-b123456"])  # fmt: skip
def test_an_id_neither_face_nor_body_is_refused(crop: str) -> None:
    with pytest.raises(LabelWireError, match="no face id"):
        from_wire(_tampered(faces=[crop]))


def test_an_unknown_source_stops_its_replica_there_and_nowhere_else() -> None:
    """A newer peer's event with a source this device cannot read is held back with a reason;
    the writer's later events wait behind it (so a later upgrade resumes exactly there), while
    other replicas' events are taken."""
    other = "B" * 52
    mine = [event(Edit(Op.SUBJECT, SUBJECTS[0], name="Alice"), T0 + n) for n in range(3)]
    theirs = event(Edit(Op.SUBJECT, SUBJECTS[1], name="Bob"), T0, other)
    received = over_the_wire([*mine, theirs])
    strange = to_wire(mine[1])
    strange.source = "xmp"
    received[1] = _read(strange)
    taken = accept(received, VersionVector(), lambda _: False, T0, lambda _: False)
    assert [e.id for e in taken.events] == [mine[0].id, theirs.id]
    assert len(taken.held) == 1 and "unknown source 'xmp'" in taken.held[0]


def _read(message: roost_pb2.LabelEvent) -> LabelEvent | LabelWireError:
    try:
        return from_wire(message)
    except LabelWireError as exc:
        return exc


def test_version_vectors_round_trip_and_refuse_nonsense() -> None:
    vector = VersionVector({DEVICE: 5, str(uuid.UUID(int=9)): 7})
    data = vector.to_wire().SerializeToString()
    assert VersionVector.from_wire(roost_pb2.VersionVector.FromString(data)) == vector
    twice = roost_pb2.VersionVector(replicas=[roost_pb2.ReplicaClock(replica=DEVICE, at=1)] * 2)
    with pytest.raises(LabelWireError, match="twice"):
        VersionVector.from_wire(twice)
    with pytest.raises(LabelWireError, match="no replica id"):
        VersionVector.from_wire(
            roost_pb2.VersionVector(replicas=[roost_pb2.ReplicaClock(replica="x", at=1)])
        )


def test_missing_sends_only_what_the_peer_lacks_in_replica_order() -> None:
    b = "B" * 52
    log = [event(Edit(Op.SUBJECT, SUBJECTS[0]), T0 + n, r) for n in range(4) for r in (DEVICE, b)]
    have = VersionVector({DEVICE: T0 + 1})
    sent = missing(log, have)
    assert [(e.replica, e.at) for e in sent] == [
        (DEVICE, T0 + 2), (DEVICE, T0 + 3), (b, T0), (b, T0 + 1), (b, T0 + 2), (b, T0 + 3),
    ]  # fmt: skip
    cut = list(batches(sent, max_events=4))
    assert [len(batch) for batch in cut] == [4, 2]
    big = [event(Edit(Op.ASSIGN, SUBJECTS[0], faces=tuple(FACES) * 900), T0 + n) for n in range(5)]
    assert all(sum(to_wire(e).ByteSize() for e in batch) <= 512 << 10 for batch in batches(big)), (
        "batches stay within the byte bound"
    )


def test_the_clock_guard_holds_events_from_a_device_clock_far_ahead() -> None:
    """A device whose clock is a year ahead cannot plant an edit that beats every later edit:
    receivers hold its events until their own clock is within reach of them."""
    honest = Replica("B" * 52, T0)
    fast = Replica("C" * 52, T0 + 365 * 24 * 3600 * 10**6)
    honest.edit([Edit(Op.SUBJECT, SUBJECTS[0], name="Alice")])
    fast.edit([Edit(Op.SUBJECT, SUBJECTS[0], name="Alicia")])
    lacking = missing(fast.events.values(), honest.vector())
    taken = honest.absorb(over_the_wire(lacking))
    assert taken.events == [] and "future" in taken.held[0]
    honest.clock_us += 60 * 10**6
    honest.edit([Edit(Op.SUBJECT, SUBJECTS[0], name="Ally")])
    assert honest.labels().subjects[SUBJECTS[0]].name == "Ally"
    # Within the bound, a peer's clock running a little ahead is fine.
    near = Replica("D" * 52, honest.clock_us + MAX_CLOCK_AHEAD_US // 2)
    near.edit([Edit(Op.SUBJECT, SUBJECTS[1], name="Bob")])
    assert send(near, honest, 10) == 1


def test_events_written_by_a_revoked_device_are_refused_whoever_relays_them() -> None:
    revoked = "R" * 52
    batch = [event(Edit(Op.SUBJECT, SUBJECTS[0], name="Mallory"), T0, revoked)]
    taken = accept(batch, VersionVector(), lambda _: False, T0, lambda r: r == revoked)
    assert taken.events == [] and "revoked" in taken.held[0]


def test_an_id_given_twice_in_one_batch_is_taken_once_whatever_the_second_says() -> None:
    """A batch repeating an event's id under another replica once took both, and a library
    then held two rows under one id (found fuzzing `Labels.Push`)."""
    first = event(Edit(Op.SUBJECT, SUBJECTS[0], name="Alice"), T0, "B" * 52)
    again = LabelEvent(Edit(Op.SUBJECT, SUBJECTS[1], name="Bob"), first.id, T0 + 1, "C" * 52)
    later = event(Edit(Op.SUBJECT, SUBJECTS[2], name="Carl"), T0 + 2, "C" * 52)
    taken = accept([again, first, later], VersionVector(), lambda _: False, T0, lambda _: False)
    assert taken.events == [first, later] and taken.held == []


# -- convergence (hypothesis) --------------------------------------------------------------------

edits = st.one_of(
    st.builds(
        Edit,
        st.just(Op.SUBJECT),
        st.sampled_from(SUBJECTS),
        name=st.none() | st.sampled_from(NAMES),
        kind=st.none() | st.sampled_from(Kind),
    ),
    st.builds(
        Edit,
        st.sampled_from([Op.ASSIGN, Op.REJECT]),
        st.sampled_from(SUBJECTS),
        faces=st.lists(st.sampled_from(FACES), min_size=1, max_size=3, unique=True).map(tuple),
    ),
    st.builds(Edit, st.just(Op.MERGE), st.sampled_from(SUBJECTS), into=st.sampled_from(SUBJECTS)),
    st.builds(Edit, st.just(Op.FORGET), st.sampled_from(SUBJECTS)),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), st.integers(0, 2), st.lists(edits, min_size=1, max_size=3)),
        st.tuples(
            st.just("sync"),
            st.integers(0, 2),
            st.integers(0, 2),
            st.integers(1, 4),  # events per batch
            st.none() | st.integers(0, 2),  # batches delivered before the cut
            st.booleans(),  # every batch delivered twice
        ),
        st.tuples(st.just("tick"), st.integers(0, 2), st.integers(0, 5_000_000)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(steps, st.lists(st.integers(-60_000_000, 60_000_000), min_size=3, max_size=3))
def test_any_delivery_converges_to_one_registry(
    script: list[tuple[object, ...]], skews: list[int]
) -> None:
    """Three devices with skewed clocks edit and sync in any order; syncs are cut short (a
    kill before a batch's commit), batched small, and delivered twice. Once every pair has
    synced, all hold the same events and fold them to one registry, the fold of the union."""
    devices = [Replica(c * 52, T0 + skew) for c, skew in zip("ABC", skews, strict=True)]
    for step in script:
        match step:
            case ("edit", int(who), list(made)):
                devices[who].edit(made)
            case ("sync", int(a), int(b), int(size), cut, bool(twice)) if a != b:
                assert cut is None or isinstance(cut, int)
                send(devices[a], devices[b], size, cut, twice)
            case ("tick", int(who), int(micros)):
                devices[who].clock_us += micros
    settle(devices)
    union = {e.id: e for d in devices for e in d.events.values()}
    assert all(d.events == union for d in devices)
    expected = state(fold(union.values()))
    assert all(state(d.labels()) == expected for d in devices)
