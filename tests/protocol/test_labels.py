"""The merge rule of label events: any order, any device, one result (no index needed)."""

from __future__ import annotations

import itertools
import random

from protocol.labels import Edit, Kind, LabelEvent, Labels, Op, fold

ALICE, BOB, CAROL = "a1", "b2", "c3"


def event(at: int, edit: Edit, replica: str = "phone", n: int = 0) -> LabelEvent:
    return LabelEvent(edit, f"{at:04d}-{replica}-{n}", at, replica)


def create(
    at: int, subject: str, name: str, kind: Kind = Kind.PERSON, replica: str = "phone"
) -> LabelEvent:
    return event(at, Edit(Op.SUBJECT, subject, name=name, kind=kind), replica)


def state(labels: Labels) -> tuple[object, ...]:
    """Everything a reader can see, in a comparable form."""
    return (
        sorted((s.id, s.name, s.kind) for s in labels.subjects.values()),
        sorted(labels.confirmed().items()),
        sorted((f, sorted(s)) for f, s in labels.rejected().items()),
    )


def test_order_of_arrival_does_not_matter() -> None:
    log = [
        create(1, ALICE, "Alice"),
        event(2, Edit(Op.ASSIGN, ALICE, faces=("f1", "f2"))),
        create(3, BOB, "Bob", replica="laptop"),
        event(4, Edit(Op.ASSIGN, BOB, faces=("f2",)), replica="laptop"),
        event(5, Edit(Op.REJECT, ALICE, faces=("f3",))),
        event(6, Edit(Op.SUBJECT, ALICE, name="Alicia")),
    ]
    expected = state(fold(log))
    for seed in range(20):
        shuffled = log[:]
        random.Random(seed).shuffle(shuffled)
        assert state(fold(shuffled)) == expected
    assert expected == (
        [(ALICE, "Alicia", "person"), (BOB, "Bob", "person")],
        [("f1", ALICE), ("f2", BOB)],
        [("f3", [ALICE])],
    )


def test_two_devices_logs_merge_by_union() -> None:
    phone = [create(1, ALICE, "Alice"), event(5, Edit(Op.SUBJECT, ALICE, name="Ali"))]
    laptop = [event(7, Edit(Op.SUBJECT, ALICE, name="Alice B."), replica="laptop")]
    merged = fold(phone + laptop)
    assert merged.subjects[ALICE].name == "Alice B."  # last writer wins
    assert state(fold(laptop + phone)) == state(merged)


def test_equal_timestamps_are_settled_by_replica_id() -> None:
    log = [
        create(1, ALICE, "Alice"),
        event(5, Edit(Op.SUBJECT, ALICE, name="From laptop"), replica="laptop"),
        event(5, Edit(Op.SUBJECT, ALICE, name="From phone"), replica="phone"),
    ]
    for order in itertools.permutations(log):
        assert fold(order).subjects[ALICE].name == "From phone"  # "phone" > "laptop"


def test_a_rejection_lasts_until_the_user_assigns_that_face_again() -> None:
    log = [
        create(1, ALICE, "Alice"),
        event(2, Edit(Op.ASSIGN, ALICE, faces=("f1",))),
        event(3, Edit(Op.REJECT, ALICE, faces=("f1",))),
    ]
    labels = fold(log)
    assert labels.confirmed() == {}
    assert labels.rejected() == {"f1": {ALICE}}
    labels = fold([*log, event(4, Edit(Op.ASSIGN, ALICE, faces=("f1",)))])
    assert labels.confirmed() == {"f1": ALICE}
    assert labels.rejected() == {}


def test_rejecting_another_subject_keeps_the_face_where_it_is() -> None:
    labels = fold(
        [
            create(1, ALICE, "Alice"),
            create(2, BOB, "Bob"),
            event(3, Edit(Op.ASSIGN, ALICE, faces=("f1",))),
            event(4, Edit(Op.REJECT, BOB, faces=("f1",))),
        ]
    )
    assert labels.confirmed() == {"f1": ALICE}
    assert labels.rejected() == {"f1": {BOB}}


def test_forget_wins_over_later_edits_from_a_device_that_missed_it() -> None:
    labels = fold(
        [
            create(1, ALICE, "Alice"),
            event(2, Edit(Op.ASSIGN, ALICE, faces=("f1",))),
            event(3, Edit(Op.FORGET, ALICE)),
            event(4, Edit(Op.ASSIGN, ALICE, faces=("f2",)), replica="laptop"),
            event(5, Edit(Op.SUBJECT, ALICE, name="Alice again"), replica="laptop"),
        ]
    )
    assert labels.subjects == {}
    assert labels.confirmed() == {}
    assert labels.resolve(ALICE) is None


def test_edits_to_a_merged_subject_land_on_the_one_it_was_merged_into() -> None:
    labels = fold(
        [
            create(1, ALICE, "Alice"),
            create(2, BOB, "Bob"),
            event(3, Edit(Op.ASSIGN, BOB, faces=("f1",))),
            event(4, Edit(Op.MERGE, BOB, into=ALICE)),
            event(5, Edit(Op.ASSIGN, BOB, faces=("f2",)), replica="laptop"),
            event(6, Edit(Op.REJECT, BOB, faces=("f3",)), replica="laptop"),
        ]
    )
    assert list(labels.subjects) == [ALICE]
    assert labels.confirmed() == {"f1": ALICE, "f2": ALICE}
    assert labels.rejected() == {"f3": {ALICE}}
    assert labels.resolve(BOB) == ALICE


def test_crossed_merges_from_two_devices_do_not_form_a_cycle() -> None:
    log = [
        create(1, ALICE, "Alice"),
        create(2, BOB, "Bob"),
        event(3, Edit(Op.MERGE, ALICE, into=BOB), replica="phone"),
        event(3, Edit(Op.MERGE, BOB, into=ALICE), replica="laptop"),
    ]
    labels = fold(log)
    # "laptop" sorts first, so Bob went into Alice; the phone's merge then joined Alice to herself
    assert [s.name for s in labels.subjects.values()] == ["Alice"]
    assert labels.resolve(ALICE) == labels.resolve(BOB) == ALICE


def test_a_second_subject_with_a_taken_name_joins_the_first() -> None:
    """What two devices that each created an "Alice" settle to, on both."""
    log = [
        create(1, ALICE, "Alice", replica="phone"),
        event(2, Edit(Op.ASSIGN, ALICE, faces=("f1",)), replica="phone"),
        create(3, CAROL, "alice", replica="laptop"),
        event(4, Edit(Op.ASSIGN, CAROL, faces=("f2",)), replica="laptop"),
    ]
    labels = fold(log)
    assert [(s.id, s.name) for s in labels.subjects.values()] == [(ALICE, "Alice")]
    assert labels.confirmed() == {"f1": ALICE, "f2": ALICE}
    assert labels.by_name("ALICE") == labels.subjects[ALICE]


def test_pets_are_subjects_of_their_own_kind() -> None:
    labels = fold([create(1, CAROL, "Scooby", kind=Kind.PET)])
    assert labels.subjects[CAROL].kind == "pet"


def test_events_for_unknown_subjects_change_nothing() -> None:
    labels = fold([event(1, Edit(Op.ASSIGN, "nobody", faces=("f1",)))])
    assert labels.confirmed() == {}
    assert labels.subjects == {}


def _random_log(rng: random.Random, n: int) -> list[LabelEvent]:
    """Subjects created, faces assigned and rejected, merges, renames and forgets, at random."""
    subjects = [ALICE, BOB, CAROL, "d4"]
    log = [create(1 + i, s, s.upper()) for i, s in enumerate(subjects)]
    for at in range(10, 10 + n):
        subject = rng.choice(subjects)
        faces = tuple(f"f{rng.randrange(12)}" for _ in range(rng.randrange(1, 4)))
        edit = rng.choice(
            [
                Edit(Op.ASSIGN, subject, faces=faces),
                Edit(Op.ASSIGN, subject, faces=faces),
                Edit(Op.REJECT, subject, faces=faces),
                Edit(Op.MERGE, subject, into=rng.choice(subjects)),
                Edit(Op.SUBJECT, subject, name=rng.choice(["Ann", "Ben", subject + "x"])),
                Edit(Op.FORGET, subject),
            ]
        )
        log.append(event(at, edit, rng.choice(["phone", "laptop"])))
    return log


def test_labels_extended_by_later_events_are_the_fold_of_all_and_leave_the_first_alone() -> None:
    for seed in range(30):
        rng = random.Random(seed)
        log = _random_log(rng, 40)
        cut = rng.randrange(len(log))
        first = fold(log[:cut])
        before = state(first)
        labels: Labels | None = first
        for begin in range(cut, len(log), 5):  # a few edits at a time, as they are made
            assert labels is not None
            labels = labels.extended(log[begin : begin + 5])
        assert labels is not None and state(labels) == state(fold(log))
        assert state(first) == before  # extending copies: the state it was read from stays


def test_labels_are_not_extended_by_an_event_ordered_before_one_they_hold() -> None:
    log = _random_log(random.Random(1), 20)
    labels = fold(log[:15])
    late = log[3]  # delivered late by a device that was away, stamped before the rest
    assert labels.extended([LabelEvent(late.edit, "late", late.at, "tablet")]) is None
    assert labels.extended([]) is not None


def test_labels_extended_by_assigns_rejects_and_new_subjects_are_the_fold_of_all() -> None:
    """The edits a family makes most (which update the confirmed faces held, not recompute
    them), a new subject's name sometimes taken already."""
    for seed in range(30):
        rng = random.Random(seed)
        log = [create(1, ALICE, "Alice"), create(2, BOB, "Bob")]
        subjects = [ALICE, BOB]
        for at in range(10, 60):
            faces = tuple(f"f{rng.randrange(12)}" for _ in range(rng.randrange(1, 4)))
            if rng.random() < 0.15:
                subjects.append(f"s{at}")
                log.append(create(at, subjects[-1], rng.choice(["Alice", "Carol", f"N{at}"])))
            else:
                op = rng.choice([Op.ASSIGN, Op.ASSIGN, Op.REJECT])
                log.append(event(at, Edit(op, rng.choice(subjects), faces=faces)))
        labels: Labels | None = fold(log[:2])
        for begin in range(2, len(log), 3):
            assert labels is not None
            labels.confirmed()  # held, as a refresh leaves it
            labels = labels.extended(log[begin : begin + 3])
        assert labels is not None and state(labels) == state(fold(log))
