"""Calibrating on one part of the data and measuring on another: the prior's fit and the
split by identity (`benchmarks.calibrate`, `benchmarks.folds`)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import folds
from benchmarks.calibrate import fit, impostor_distances


def test_the_prior_passes_through_the_tail_quantiles_it_is_fitted_to() -> None:
    distances = np.random.default_rng(0).normal(1.0, 0.1, 200_000)
    midpoint, scale = fit(distances)
    for q in (0.001, 0.01):
        at = float(np.quantile(distances, q))
        assert 1 / (1 + np.exp(-(at - midpoint) / scale)) == pytest.approx(q, rel=1e-6)
    assert 0.0 < scale < 0.1 and 0.7 < midpoint < 1.0  # the tail of N(1, 0.1), not its middle


def test_impostors_are_measured_against_other_identities_prototypes_only() -> None:
    a = [np.array([0.0, 0.0])] * 4
    b = [np.array([3.0, 4.0])] * 3
    distances = impostor_distances({"a": a, "b": b})
    assert sorted(distances.tolist()) == [5.0] * 7  # never a face to its own prototype


def test_folds_split_identities_alternately_and_link_the_photos(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    for name in ("Ann", "Bob", "Cid"):
        (data / name).mkdir(parents=True)
        (data / name / "1.jpg").write_bytes(b"photo of " + name.encode())
    out = tmp_path / "folds"
    monkeypatch.setattr(sys, "argv", ["folds", "--data", str(data), "--out", str(out)])
    assert folds.main() == 0
    assert sorted(p.name for p in (out / "even").iterdir()) == ["Ann", "Cid"]
    assert sorted(p.name for p in (out / "odd").iterdir()) == ["Bob"]
    link = out / "odd" / "Bob" / "1.jpg"
    assert link.is_symlink() and link.read_bytes() == b"photo of Bob"
    assert folds.main() == 0  # again: the links are there already
