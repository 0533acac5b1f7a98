"""Fine-tuning the adapter on this device's confirmed faces (torch, CPU, one thread).

The loss is a margin between a face's distance to its own person's prototype and to the
nearest other person's, with every family prototype the device has (its own labels' means and
the model's) as the classes, plus a proximal term that keeps the weights near the family's:
a device with three labels of one person must not drag the shared adapter to fit them alone.
On lfw_dev, longer training or larger margins made unseen faces of the same people *less*
separable from strangers (docs/ARCHITECTURE.md, "The personal model"), so the schedule is short.
"""

from __future__ import annotations

import numpy as np

from node.model.personal import Adapter

STEPS = 40
LEARNING_RATE = 1e-3
MARGIN = 0.1
PROXIMAL = 1.0


def fine_tune(
    start: Adapter, vectors: np.ndarray, rows: np.ndarray, prototypes: np.ndarray
) -> Adapter:
    """Train from `start` on faces `vectors` of prototype `rows` (indices into `prototypes`,
    raw descriptor means of every person the device knows). Needs two or more people."""
    import torch  # only a training device pays for torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    params = [torch.tensor(a, requires_grad=True) for a in start.arrays()]
    anchors = [p.detach().clone() for p in params]
    w1, b1, w2, b2 = params
    x = torch.tensor(np.asarray(vectors, np.float32))
    raw = torch.tensor(np.asarray(prototypes, np.float32))
    target = torch.tensor(np.asarray(rows, np.int64))
    own = torch.nn.functional.one_hot(target, len(prototypes)).bool()
    optimizer = torch.optim.Adam(params, lr=LEARNING_RATE)

    def adapt(v: torch.Tensor) -> torch.Tensor:
        return v + torch.tanh(v @ w1.T + b1) @ w2.T + b2

    for _ in range(STEPS):
        distances = torch.cdist(adapt(x), adapt(raw))
        positive = distances[torch.arange(len(target)), target]
        negative = distances.masked_fill(own, float("inf")).min(dim=1).values
        loss = torch.relu(positive - negative + MARGIN).mean()
        loss = loss + PROXIMAL * sum(
            ((p - a) ** 2).sum() for p, a in zip(params, anchors, strict=True)
        )
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
    return Adapter.from_arrays([p.detach().numpy().copy() for p in params])
