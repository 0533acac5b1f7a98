"""How likely a face this far from a person's prototype is somebody else.

The calibration is the distribution of the distance from a confirmed face to the nearest
prototype of *another* person: exactly what a stranger's face, or another family member's,
looks like to the scorer. Devices add up histograms of it under secure aggregation, so the
family's model is calibrated on every device's labels without any of them being sent.

A stranger is named only if it lands closer to someone's prototype than the auto threshold, so
the share of that distribution below a distance is the rate at which faces of other people are
named at that distance. Few labels make a coarse histogram; it is blended with a prior (a
logistic fitted on the lfw_dev identities the benchmarks use for tuning) worth `PRIOR_WEIGHT`
faces, so a family with 15 labeled faces does not auto-assign everything closer than the one
nearest stranger it happened to see.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 400
RANGE = 2.0  # distances in descriptor units; dlib faces of one person lie within ~0.6
EDGES = np.linspace(0.0, RANGE, BINS + 1)
PRIOR_MIDPOINT, PRIOR_SCALE = 0.586, 0.018  # fitted on lfw_dev's tuning identities
PRIOR_WEIGHT = 200.0


def prior_cdf() -> np.ndarray:
    """P(nearest other prototype ≤ edge), before a family has labels of its own."""
    return np.asarray(1.0 / (1.0 + np.exp(-(EDGES - PRIOR_MIDPOINT) / PRIOR_SCALE)))


def histogram(distances: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(np.clip(distances, 0.0, RANGE - 1e-9), bins=EDGES)
    return counts.astype(np.float64)


@dataclass(frozen=True)
class Calibration:
    """The family's impostor histogram (nearest-other-prototype distances), and its reading."""

    impostors: np.ndarray  # (BINS,) counts

    def cdf(self) -> np.ndarray:
        """P(an impostor lies within each edge), blended with the prior by sample count."""
        counts = np.asarray(self.impostors, np.float64)
        seen = float(counts.sum())
        empirical = np.concatenate([[0.0], np.cumsum(counts)]) / max(seen, 1.0)
        return (seen * empirical + PRIOR_WEIGHT * prior_cdf()) / (seen + PRIOR_WEIGHT)

    def confidence(self, distances: np.ndarray) -> np.ndarray:
        """1 − P(an impostor comes this close): the confidence that a match is right."""
        return np.asarray(1.0 - np.interp(distances, EDGES, self.cdf()))

    def distance_for(self, confidence: float) -> float:
        """The largest distance still at `confidence` (for docs and `roost model status`)."""
        cdf = self.cdf()
        return float(np.interp(1.0 - confidence, cdf, EDGES))

    @property
    def faces(self) -> int:
        return round(float(np.sum(self.impostors)))
