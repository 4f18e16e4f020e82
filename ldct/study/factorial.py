"""Full factorials of readings: every combination of the levels of some factors, as variants.

A variants file may declare, under ``factorials``, entries of the form::

    - name: grid                       # prefix of every cell's name
      why: why these factors, declared before any result
      factors:
        - factor: noise_shape
          levels:
            - {level: mtf2, reading: "...", set: {noise: {spectrum: mtf2}}}
            - {level: white, reading: "...", set: {noise: {spectrum: white}}}
        - factor: pretrained
          levels: [...]

Each combination of one level per factor is one variant entry (``name``, ``reading``, ``why``,
``set``), named ``<name>_<level>_<level>...`` in the order of the factors, its reading the
levels' readings joined by '; ' and its ``set`` the levels' sets merged in the same order.
Levels should set their reading explicitly (also the study's own value), so that a cell means
the same whatever config the study starts from.
"""

from __future__ import annotations

import itertools
from typing import Any, Mapping

from ldct.core.errors import LdctInputError
from ldct.study.mappings import merged

FACTORIAL_KEYS = {"name", "why", "factors"}
FACTOR_KEYS = {"factor", "levels"}
LEVEL_KEYS = {"level", "reading", "set"}


def _checked(entry: Any, keys: set[str], where: str) -> Mapping[str, Any]:
    if not isinstance(entry, dict) or set(entry) != keys:
        raise LdctInputError(f"{where}: expected exactly the keys {', '.join(sorted(keys))}")
    return entry


def _levels(factor: Any, where: str) -> list[Mapping[str, Any]]:
    factor = _checked(factor, FACTOR_KEYS, where)
    levels = factor["levels"]
    if not isinstance(levels, list) or len(levels) < 2:
        raise LdctInputError(f"{where} ('{factor['factor']}'): expected a list of at least 2 levels")
    checked = [
        _checked(level, LEVEL_KEYS, f"{where} ('{factor['factor']}'), level {number}")
        for number, level in enumerate(levels, start=1)
    ]
    for number, level in enumerate(checked, start=1):
        if not isinstance(level["set"], dict):
            raise LdctInputError(
                f"{where} ('{factor['factor']}'), level {number}: 'set' must map config keys to values"
            )
    return checked


def factorial_entries(factorial: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    """(where, variant entry) of every cell of one declared factorial, in row-major order (the
    last factor's level changing fastest)."""
    factorial = _checked(factorial, FACTORIAL_KEYS, where)
    factors = factorial["factors"]
    if not isinstance(factors, list) or not factors:
        raise LdctInputError(f"{where}: expected a non-empty list under 'factors'")
    level_lists = [_levels(factor, f"{where}, factor {n}") for n, factor in enumerate(factors, 1)]
    cells = []
    for combination in itertools.product(*level_lists):
        changes: dict[str, Any] = {}
        for level in combination:
            changes = merged(changes, level["set"])
        name = "_".join([str(factorial["name"])] + [str(level["level"]) for level in combination])
        entry = {
            "name": name,
            "reading": "; ".join(str(level["reading"]) for level in combination),
            "why": factorial["why"],
            "set": changes,
        }
        cells.append((f"{where}, cell {name}", entry))
    return cells
