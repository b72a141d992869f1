"""Stripe's form encoding: ``line_items[0][price]=p``, ``metadata[plan]=pro``, ``expand[]=x``.

``parse`` turns a form body or query string into nested dicts and lists of strings; the ``as_*``
helpers read one parameter with Stripe's error for a wrong type. An empty string means "unset"
in Stripe's encoding and is kept as ``""`` for the endpoint to interpret.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from simulators.stripe.errors import StripeError, invalid, missing

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_APPEND = object()


def parse(raw: bytes | str) -> dict[str, Any]:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    tree: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        match = _KEY.match(key)
        if match is None:
            raise StripeError(400, f"Invalid parameter name: {key}", param=key)
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        _insert(tree, parts, value, key)
    return _listify(tree)


def _insert(node: dict, parts: list[str], value: str, key: str) -> None:
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if part == "":
            part = str(sum(1 for k in node if k.isdigit()))  # ``a[]`` appends
        if last:
            if isinstance(node.get(part), dict):
                raise StripeError(400, f"Invalid hash: {key} is also given as a value", param=key)
            node[part] = value
            return
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise StripeError(400, f"Invalid value: {key} is also given as a hash", param=key)
        node = child


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


# ---------------------------------------------------------------- readers


def as_str(params: dict, name: str, *, required: bool = False, label: str | None = None):
    value = params.get(name)
    label = label or name
    if value is None or value == "":
        if required:
            raise missing(label)
        return None if value is None else ""
    if not isinstance(value, str):
        raise invalid(label, f"Invalid string: {label} must be a string")
    return value


def as_int(params: dict, name: str, *, required: bool = False, label: str | None = None):
    value = params.get(name)
    label = label or name
    if value is None or value == "":
        if required:
            raise missing(label)
        return None
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise invalid(label, f"Invalid integer: {value}", code="parameter_invalid_integer")
    return int(value)


def as_bool(params: dict, name: str, *, label: str | None = None) -> bool | None:
    value = params.get(name)
    label = label or name
    if value is None or value == "":
        return None
    if value in ("true", "false"):
        return value == "true"
    raise invalid(label, f"Invalid boolean: {value}")


def as_list(params: dict, name: str, *, label: str | None = None) -> list | None:
    value = params.get(name)
    label = label or name
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        raise invalid(label, f"Invalid array: {label} must be an array")
    return value if isinstance(value, list) else [value]


def as_dict(params: dict, name: str, *, label: str | None = None) -> dict | None:
    value = params.get(name)
    label = label or name
    if value is None:
        return None
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid(label, f"Invalid object: {label} must be a hash")
    return value


def metadata_merge(current: dict, given: Any, *, param: str = "metadata") -> dict:
    """Stripe's metadata update: keys given are set, ``""`` removes one, ``metadata=""`` all."""
    if given is None:
        return dict(current)
    if given == "":
        return {}
    if not isinstance(given, dict):
        raise invalid(param, f"Invalid object: {param} must be a hash")
    merged = dict(current)
    for key, value in given.items():
        if not isinstance(value, str):
            raise invalid(f"{param}[{key}]", f"Invalid string: {param}[{key}] must be a string")
        if len(key) > 40:
            raise invalid(param, "Metadata keys can be at most 40 characters long.")
        if len(value) > 500:
            raise invalid(param, "Metadata values can be at most 500 characters long.")
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > 50:
        raise invalid(param, "Metadata can have at most 50 keys.")
    return merged
