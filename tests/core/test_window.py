"""HU windows: one shape, low below high, and the radiologist's level and width."""

from __future__ import annotations

import pytest

from ldct.core.window import HuWindow


def test_level_and_width_of_the_abdomen_window():
    window = HuWindow.from_settings({"low_hu": -160, "high_hu": 240})
    assert (window.level_hu, window.width_hu) == (40, 400)
    assert window.describe() == "window level 40 HU, width 400 HU (-160 to 240 HU)"


@pytest.mark.parametrize("low, high", [(100, 0), (40, 40)])
def test_an_empty_or_reversed_window_is_refused(low, high):
    with pytest.raises(ValueError, match="must be below"):
        HuWindow(low, high)
