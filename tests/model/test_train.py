"""The hand-written gradient of the adapter's loss agrees with finite differences, and
training lowers the loss without leaving the family's weights far behind."""

from __future__ import annotations

import numpy as np

from node.model.personal import Adapter
from node.model.train import fine_tune, loss_and_gradient

RNG = np.random.default_rng(3)
DIM, PEOPLE = 6, 3


def problem() -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    adapter = Adapter.identity(DIM, seed=1)
    params = [np.asarray(a, np.float64) for a in adapter.arrays()]
    params[2] = RNG.normal(0, 0.1, params[2].shape)  # not the identity: all paths carry gradient
    centres = RNG.normal(0, 0.1, (PEOPLE, DIM))  # close: many faces nearer another person
    rows = np.repeat(np.arange(PEOPLE), 4)
    vectors = centres[rows] + RNG.normal(0, 0.25, (len(rows), DIM))
    return params, vectors, rows, centres


def test_the_gradient_matches_finite_differences() -> None:
    params, vectors, rows, prototypes = problem()
    anchors = [a + RNG.normal(0, 0.01, a.shape) for a in params]
    loss, grads = loss_and_gradient(params, anchors, vectors, rows, prototypes)
    assert loss > 0.05  # the margin term is active, not only the proximal one
    step = 1e-6
    for k, array in enumerate(params):
        for index in [tuple(RNG.integers(0, s) for s in array.shape) for _ in range(5)]:
            bumped = [a.copy() for a in params]
            bumped[k][index] += step
            lowered = [a.copy() for a in params]
            lowered[k][index] -= step
            up, _ = loss_and_gradient(bumped, anchors, vectors, rows, prototypes)
            down, _ = loss_and_gradient(lowered, anchors, vectors, rows, prototypes)
            assert abs((up - down) / (2 * step) - grads[k][index]) < 1e-5


def test_training_lowers_the_loss() -> None:
    params, vectors, rows, prototypes = problem()
    start = Adapter.from_arrays(params)
    trained = fine_tune(start, vectors, rows, prototypes)
    anchors = [np.asarray(a, np.float64) for a in start.arrays()]
    before, _ = loss_and_gradient(anchors, anchors, vectors, rows, prototypes)
    after, _ = loss_and_gradient(
        [np.asarray(a, np.float64) for a in trained.arrays()], anchors, vectors, rows, prototypes
    )
    assert after < before
