"""Fusion, checked against values worked out by hand."""

from __future__ import annotations

import pytest

from parallax.search.fusion import FusionConfig, convex, fuse, rrf


def test_rrf_by_hand() -> None:
    # Ranking A: 1, 2, 3.  Ranking B: 3, 1.  k = 60.
    # doc 1: 1/61 + 1/62;  doc 2: 1/62;  doc 3: 1/63 + 1/61.
    scores = rrf([[1, 2, 3], [3, 1]], k=60)
    assert scores[1] == pytest.approx(1 / 61 + 1 / 62)
    assert scores[2] == pytest.approx(1 / 62)
    assert scores[3] == pytest.approx(1 / 63 + 1 / 61)
    order = [d for d, _ in fuse({1: 0.9, 2: 0.8, 3: 0.7}, {3: 12.0, 1: 5.0}, FusionConfig("rrf", rrf_k=60))]
    assert order == [1, 3, 2]  # 1/61+1/62 > 1/61+1/63 > 1/62


def test_convex_by_hand() -> None:
    # dense min-max: 1 -> 1, 2 -> 0.5, 3 -> 0;  lexical min-max: 3 -> 1, 1 -> 0; doc 2 missing -> 0.
    # alpha 0.7: doc 1 = 0.7;  doc 2 = 0.35;  doc 3 = 0.3.
    scores = convex({1: 0.9, 2: 0.8, 3: 0.7}, {3: 12.0, 1: 5.0}, alpha=0.7)
    assert scores == pytest.approx({1: 0.7, 2: 0.35, 3: 0.3})


def test_convex_normalises_each_list() -> None:
    fused = convex({1: 0.9, 2: 0.5}, {2: 12.0, 3: 4.0}, alpha=0.5)
    assert fused == {1: pytest.approx(0.5), 2: pytest.approx(0.5), 3: pytest.approx(0.0)}
    ranked = fuse({1: 0.9, 2: 0.5}, {2: 12.0, 3: 4.0}, FusionConfig("convex", alpha=0.7))
    assert [d for d, _ in ranked] == [1, 2, 3]


def test_convex_single_candidate_and_empty_lists() -> None:
    assert convex({4: 0.2}, {}, alpha=0.5) == {4: 0.5}
    assert fuse({}, {}, FusionConfig()) == []


def test_fuse_breaks_ties_by_id_and_rejects_unknown_method() -> None:
    assert [d for d, _ in fuse({2: 1.0, 1: 1.0}, {}, FusionConfig("convex", alpha=1.0))] == [1, 2]
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse({1: 1.0}, {}, FusionConfig("max"))
