"""The study's stacks: which draw each image is, and one realization of several stacks."""

from __future__ import annotations

import numpy as np
import pytest

from ldct.core.stacks import draws, realization_images
from ldct.core.storage import load_image, save_stack


def test_one_realization_of_each_stack_keyed_by_dose_and_sidecar_values(tmp_path):
    """No key gives the dose, keys a (dose, ...) tuple; each image comes back unchanged."""
    paths = []
    for k, (dose, method) in enumerate([(0.5, "median"), (0.1, "median"), (0.1, "dncnn")]):
        path = tmp_path / f"{k}.npy"
        stack = np.stack([np.full((2, 3), 10 * k + r, dtype=np.float32) for r in (3, 4)])
        meta = {"doses": [dose], "realizations": [3, 4], "method": method}
        save_stack(path, stack, meta)
        paths.append(path)
    by_pair = realization_images(paths, 4, "method")
    assert sorted(by_pair) == [(0.1, "dncnn"), (0.1, "median"), (0.5, "median")]
    assert by_pair[(0.1, "dncnn")][0, 0] == 24
    assert set(realization_images(paths[:2], 3)) == {0.5, 0.1}


def test_a_stack_lists_its_draws_dose_major(tmp_path):
    path = tmp_path / "s.npy"
    save_stack(path, np.zeros((4, 2, 2)), {"doses": [0.5, 0.1], "realizations": [0, 1]})
    stack, meta = load_image(path)
    assert stack.shape == (4, 2, 2) and meta["shape"] == [4, 2, 2]
    assert draws(meta) == [(0.5, 0), (0.5, 1), (0.1, 0), (0.1, 1)]
    with pytest.raises(ValueError, match="stack of 2-D images"):
        save_stack(path, np.zeros((2, 2)), {})
