"""Dose texts: exact wildcards, percentages and captions, and keys that compare across them."""

from __future__ import annotations

from ldct.core.doses import dose_caption, dose_key, dose_label, dose_percent

DOSES = (1, 0.75, 0.5, 0.05, 0.01, 0.1234567891)


def test_wildcard_labels_are_the_exact_dose():
    labels = [dose_label(dose) for dose in DOSES]
    assert labels == ["1.0", "0.75", "0.5", "0.05", "0.01", "0.1234567891"]
    assert all(float(label) == dose for label, dose in zip(labels, DOSES))


def test_percentages_and_captions_hide_float_error():
    assert 0.07 * 100 != 7 and 0.29 * 100 != 29  # the float error the texts must not show
    doses = (0.75, 0.07, 0.29, 0.703, 0.01)
    assert [dose_percent(dose) for dose in doses] == ["75 %", "7 %", "29 %", "70.3 %", "1 %"]
    assert dose_caption(0.1) == "10 % dose"


def test_a_dose_read_back_from_text_has_the_same_key():
    for dose in DOSES:
        assert dose_key(float(dose_label(dose))) == dose_key(dose)
    assert dose_key(0.1 + 0.2 - 0.2) == dose_key(0.1)
