"""Fine-tuning the adapter on this device's confirmed faces, in numpy.

The loss is a margin between a face's distance to its own person's prototype and to the
nearest other person's, with every family prototype the device has (its own labels' means and
the model's) as the classes, plus a proximal term that keeps the weights near the family's:
a device with three labels of one person must not drag the shared adapter to fit them alone.
On lfw_dev, longer training or larger margins made unseen faces of the same people *less*
separable from strangers (docs/ARCHITECTURE.md, "The personal model"), so the schedule is short.

The gradients are written out by hand (the adapter is two small matrices) rather than taken
from torch: importing torch in the ClientApp process cost it about 650 MB of resident memory,
against a budget of 50 MB for training; this costs a few MB. `tests/model/test_train.py`
checks the gradient against finite differences.
"""

from __future__ import annotations

import numpy as np

from node.model.personal import Adapter

STEPS = 40
LEARNING_RATE = 1e-3
MARGIN = 0.1
PROXIMAL = 1.0
_BETAS, _EPSILON = (0.9, 0.999), 1e-8


def loss_and_gradient(
    params: list[np.ndarray],
    anchors: list[np.ndarray],
    vectors: np.ndarray,
    rows: np.ndarray,
    prototypes: np.ndarray,
) -> tuple[float, list[np.ndarray]]:
    """The training loss at `params` (w1, b1, w2, b2) and its gradient."""
    w1, b1, w2, b2 = params
    hidden_x = np.tanh(vectors @ w1.T + b1)
    hidden_p = np.tanh(prototypes @ w1.T + b1)
    z = vectors + hidden_x @ w2.T + b2
    p = prototypes + hidden_p @ w2.T + b2
    difference = z[:, None, :] - p[None, :, :]  # (n, k, dim)
    distance = np.sqrt((difference**2).sum(axis=2) + 1e-12)
    n = len(rows)
    positive = distance[np.arange(n), rows]
    others = distance.copy()
    others[np.arange(n), rows] = np.inf
    nearest = others.argmin(axis=1)
    negative = others[np.arange(n), nearest]
    hinge = positive - negative + MARGIN
    active = hinge > 0
    loss = float(np.where(active, hinge, 0.0).mean())
    loss += PROXIMAL * sum(
        float(((a - b) ** 2).sum()) for a, b in zip(params, anchors, strict=True)
    )
    # d loss / d z and d loss / d p, through the two distances of each active face.
    g_z = np.zeros_like(z)
    g_p = np.zeros_like(p)
    for i in np.flatnonzero(active):
        for j, sign in ((rows[i], 1.0 / n), (nearest[i], -1.0 / n)):
            unit = difference[i, j] / distance[i, j]
            g_z[i] += sign * unit
            g_p[j] -= sign * unit
    grads = [np.zeros_like(w1), np.zeros_like(b1), np.zeros_like(w2), np.zeros_like(b2)]
    for g_out, hidden, inputs in ((g_z, hidden_x, vectors), (g_p, hidden_p, prototypes)):
        grads[2] += g_out.T @ hidden
        grads[3] += g_out.sum(axis=0)
        g_pre = (g_out @ w2) * (1.0 - hidden**2)
        grads[0] += g_pre.T @ inputs
        grads[1] += g_pre.sum(axis=0)
    for g, a, b in zip(grads, params, anchors, strict=True):
        g += 2.0 * PROXIMAL * (a - b)
    return loss, grads


def fine_tune(
    start: Adapter, vectors: np.ndarray, rows: np.ndarray, prototypes: np.ndarray
) -> Adapter:
    """Train from `start` on faces `vectors` of prototype `rows` (indices into `prototypes`,
    raw descriptor means of every person the device knows) with Adam. Needs two or more
    people."""
    params = [np.asarray(a, np.float64).copy() for a in start.arrays()]
    anchors = [a.copy() for a in params]
    x = np.asarray(vectors, np.float64)
    raw = np.asarray(prototypes, np.float64)
    target = np.asarray(rows, np.int64)
    first = [np.zeros_like(a) for a in params]
    second = [np.zeros_like(a) for a in params]
    for step in range(1, STEPS + 1):
        _, grads = loss_and_gradient(params, anchors, x, target, raw)
        for a, g, m, v in zip(params, grads, first, second, strict=True):
            m *= _BETAS[0]
            m += (1 - _BETAS[0]) * g
            v *= _BETAS[1]
            v += (1 - _BETAS[1]) * g * g
            m_hat = m / (1 - _BETAS[0] ** step)
            v_hat = v / (1 - _BETAS[1] ** step)
            a -= LEARNING_RATE * m_hat / (np.sqrt(v_hat) + _EPSILON)
    return Adapter.from_arrays(params)
