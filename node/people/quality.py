"""Which faces are trustworthy enough to found a cluster, bridge two, or be assigned unasked.

A tiny, blurred or doubtful detection yields a vector that sits near many people at once (on
lfw_dev, background faces under 40 px were within 0.55 of up to four different identities), so
such faces may only join a group they are clearly close to and are never assigned without the
user's word. Thresholds are calibrated on lfw_dev and faces/ (docs/ARCHITECTURE.md): every
identity face there passes (smallest side 62 px, sharpness 78, detection score 0.985), while the
blurred bystanders in faces/ (sharpness 9 to 19) do not.
"""

from __future__ import annotations

from collections.abc import Sequence

MIN_SIDE = 40.0  # pixels of the face box's shorter side, in the original photo
MIN_SHARPNESS = 30.0  # variance of the Laplacian on a 64 px crop (node.faces.crop.sharpness)
MIN_SCORE = 0.95  # MTCNN's detection probability


def is_good(box: Sequence[float], score: float, sharpness: float) -> bool:
    side = min(box[2] - box[0], box[3] - box[1])
    return side >= MIN_SIDE and sharpness >= MIN_SHARPNESS and score >= MIN_SCORE
