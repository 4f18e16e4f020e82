"""Nested config mappings: the value at a dotted key, and one mapping merged onto another."""

from __future__ import annotations

import copy
from typing import Any, Mapping


def value_at(config: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted key path of ``config`` (None where a part is missing)."""
    value: Any = config
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with ``changes`` merged in (mappings merged key by key)."""
    result = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result
