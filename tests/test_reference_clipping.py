"""Gradient clipping by value and by global norm."""

import numpy as np
import pytest

from autograder import reference as ref


def gradients():
    return {"dWaa": np.array([[0.5, -12.0], [3.0, 0.0]]), "dba": np.array([[-0.25], [7.0]])}


def test_clip_leaves_small_entries_untouched_and_caps_large_ones():
    g = gradients()
    out = ref.clip(g, 5.0)
    np.testing.assert_array_equal(out["dWaa"], [[0.5, -5.0], [3.0, 0.0]])
    np.testing.assert_array_equal(out["dba"], [[-0.25], [5.0]])
    np.testing.assert_array_equal(g["dWaa"], gradients()["dWaa"])  # input not modified


def test_clip_by_norm_keeps_direction_and_caps_norm():
    g = gradients()
    norm = ref.global_norm(g)
    assert norm == pytest.approx(np.sqrt(0.25 + 144 + 9 + 0.0625 + 49))
    out = ref.clip_by_norm(g, 2.0)
    assert ref.global_norm(out) == pytest.approx(2.0)
    for key in g:
        np.testing.assert_allclose(out[key], g[key] * 2.0 / norm)
    small = ref.clip_by_norm(g, 1e6)
    for key in g:
        np.testing.assert_array_equal(small[key], g[key])
        assert small[key] is not g[key]


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "5", None])
def test_clip_rejects_bad_thresholds(bad):
    with pytest.raises(ValueError, match="max_value"):
        ref.clip(gradients(), bad)
    with pytest.raises(ValueError, match="max_norm"):
        ref.clip_by_norm(gradients(), bad)


def test_clip_rejects_non_dict():
    with pytest.raises(ValueError, match="gradients must be a dict"):
        ref.clip([np.zeros(2)], 1.0)
