"""How likely a face this far from a person's prototype is somebody else.

The calibration is the distribution of the distance from a confirmed face to the prototype of
*another* person (one pair at a time): what a stranger's face, or another family member's,
looks like to one prototype. Devices add up histograms of it under secure aggregation, so the
family's model is calibrated on every device's labels without any of them being sent.

A face is named only if it lands close to someone's prototype; with K people known, the chance
that somebody else's face comes within d of any of them is 1 − (1 − F(d))^K, F being that
distribution (independence across prototypes: conservative on lfw_dev, where look-alikes
cluster). That chance is counted per pair rather than per face so that it does not depend on how
many prototypes a device happened to know when it measured. Few labels make a coarse
histogram; it is blended with a prior (a logistic fitted to the lower tail of the same
distribution on the lfw_dev identities used for tuning) worth `PRIOR_WEIGHT` pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 400
RANGE = 2.0  # distances in descriptor units; dlib faces of one person lie within ~0.6
EDGES = np.linspace(0.0, RANGE, BINS + 1)
PRIOR_MIDPOINT, PRIOR_SCALE = (
    0.665,
    0.016,
)  # lfw_dev tuning identities: F = 0.1 % at 0.555, 1 % at 0.592
PRIOR_WEIGHT = 1000.0


def prior_cdf() -> np.ndarray:
    """P(another person's prototype lies within each edge), before a family has labels."""
    return np.asarray(1.0 / (1.0 + np.exp(-(EDGES - PRIOR_MIDPOINT) / PRIOR_SCALE)))


def histogram(distances: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(np.clip(distances, 0.0, RANGE - 1e-9), bins=EDGES)
    return counts.astype(np.float64)


@dataclass(frozen=True)
class Calibration:
    """The family's impostor histogram (face to other people's prototypes), and its reading."""

    impostors: np.ndarray  # (BINS,) counts

    def cdf(self) -> np.ndarray:
        """P(an impostor lies within each edge), blended with the prior by sample count."""
        counts = np.asarray(self.impostors, np.float64)
        seen = float(counts.sum())
        empirical = np.concatenate([[0.0], np.cumsum(counts)]) / max(seen, 1.0)
        return (seen * empirical + PRIOR_WEIGHT * prior_cdf()) / (seen + PRIOR_WEIGHT)

    def confidence(self, distances: np.ndarray, people: int) -> np.ndarray:
        """P(no other face of `people` known people would come this close): the confidence
        that a match at this distance is right."""
        single = np.interp(distances, EDGES, self.cdf())
        return np.asarray((1.0 - single) ** max(people, 1))

    def distance_for(self, confidence: float, people: int) -> float:
        """The largest distance still at `confidence` with `people` known (for status)."""
        single = 1.0 - confidence ** (1.0 / max(people, 1))
        return float(np.interp(single, self.cdf(), EDGES))

    @property
    def faces(self) -> int:
        return round(float(np.sum(self.impostors)))
