"""Fuzzing the untrusted-input readers: only library errors (``ExtensivError``) may escape.

Covers the wire reader (``wire.loads`` + structuring into every top-level model and
``parse_collection``), ``error_from_response``, ``parse_event`` and the config loader
(``ChannelConfig.from_dict`` and ``from_toml``), on arbitrary text, arbitrary bytes and byte-level
mutations of the documented samples in ``fixtures/``. In CI the ``ci`` Hypothesis profile
(tests/conftest.py) derandomizes them; local runs keep exploring.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extensiv_connector import ChannelConfig, _json_guard, models, wire
from extensiv_connector.client import error_from_response
from extensiv_connector.errors import ConfigError, ExtensivError, WireFormatError
from extensiv_connector.models import Order, StockSummary
from extensiv_connector.webhooks import parse_event

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = [path.read_bytes() for path in sorted(FIXTURES.glob("*.json"))]
CONVERTER = wire.make_converter()
# Every wire and host model: structuring is the next step after parsing for all of them.
MODELS = tuple(getattr(models, name) for name in models.__all__ if attrs.has(getattr(models, name)))
# FUZZ_EXAMPLES=5000 for a long local hunt; CI keeps the suite's time bounded.
# The deadline only has to catch runaway work (the reproducers took minutes): an example
# that makes the typed readers learn a key rebuilds the mirrors nesting that class, which every
# model read right after pays once (tens of milliseconds each on a loaded machine).
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    suppress_health_check=[HealthCheck.too_slow],
    deadline=timedelta(seconds=2),
)


@pytest.fixture(autouse=True, scope="module", params=["msgspec", "json"])
def json_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test here runs twice: with msgspec (the ``speed`` extra) parsing, and without it."""
    if request.param == "msgspec" and _json_guard._ACCELERATED is None:
        pytest.skip("msgspec is not installed")
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "json":
            patch.setattr(_json_guard, "_ACCELERATED", None)  # what an install without it has
        yield request.param


# Tokens that broke parsing or structuring before (the reproducers and their cousins).
HOSTILE = [
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1e400",
    b"1E+1000000",
    b"9" * 60,
    b"[" * 200,
    b"{" * 80,
    b'"\\ud800"',
    b"\xff\xfe",
    b"\x00",
    b"null",
    b'""',
    b"-0.0e-0",
    b'"2026-13-45T99:99:99"',
    b'"' + b"9" * 5000 + b'"',
]


@st.composite
def mutated(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    """A sample with a few splices: hostile tokens inserted, bytes replaced or cut out."""
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "replace", "delete", "byte"]))
        token = draw(st.sampled_from(HOSTILE))
        if op == "insert":
            data[at:at] = token
        elif op == "replace":
            data[at : at + len(token)] = token
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        else:
            data[at:at] = bytes([draw(st.integers(0, 255))])
    return bytes(data)


def read_everything(raw: bytes | str) -> None:
    """Everything the client does with an answer body; lets only library errors out."""
    for model, rel in ((Order, "orders/order"), (StockSummary, None)):
        with contextlib.suppress(WireFormatError):
            wire.read_collection(raw, model, rel)
    document = wire.loads(raw)
    for model in MODELS:
        with contextlib.suppress(WireFormatError):
            CONVERTER.structure(document, model)
    page = wire.parse_collection(document, "orders/order")
    for record in page.records:
        with contextlib.suppress(WireFormatError):
            CONVERTER.structure(record, Order)


def only_library_errors(call: Any, *args: Any) -> None:
    with contextlib.suppress(ExtensivError):
        call(*args)


# Every reader is compiled on first use: once here, so that no example's deadline pays for it.
only_library_errors(read_everything, b'{"summaries": [{}]}')


json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["NaN", "1e400", "2026-01-01T00:00:00", "", "5"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=25,
)


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_through_the_wire_reader_raise_only_library_errors(raw: bytes) -> None:
    only_library_errors(read_everything, raw)


@FUZZ
@given(mutated(SAMPLES))
def test_mutated_samples_through_the_wire_reader_raise_only_library_errors(raw: bytes) -> None:
    only_library_errors(read_everything, raw)


@FUZZ
@given(json_like)
def test_any_json_shape_structures_or_raises_a_wire_format_error(document: Any) -> None:
    text = json.dumps(document)  # floats nan/inf are written as NaN/Infinity on purpose
    only_library_errors(read_everything, text)


@FUZZ
@given(
    st.sampled_from([400, 401, 403, 404, 412, 428, 429, 500, 503, 418]),
    st.one_of(st.binary(max_size=200), mutated(SAMPLES)),
    st.sampled_from(["application/json", "text/plain", "", "application/hal+json; x"]),
    st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["1e400", "nan", "-5"])),
)
def test_error_from_response_maps_any_body_to_a_library_error(
    status: int, raw: bytes, content_type: str, retry_after: str | None
) -> None:
    body = raw.decode("utf-8", "replace")
    headers = {"Retry-After": retry_after} if retry_after is not None else {}

    error = error_from_response(status, body, content_type, "GET", "/orders", headers)

    assert (True, body) == (isinstance(error, ExtensivError), getattr(error, "raw_body", body))


@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated(SAMPLES)))
def test_webhook_parser_raises_only_library_errors(raw: bytes) -> None:
    only_library_errors(parse_event, raw)


# -- config ---------------------------------------------------------------------------------

BASE_CONFIG = {
    "credentials": {
        "client_id": "client-abc",
        "client_secret": "s",
        "user_login_id": "42",
        "customer_id": 418,
        "facility_id": 12,
    }
}
SECTIONS = {
    "client": ["connect_timeout", "read_timeout", "rate_limit_per_second", "max_retries"],
    "sync": ["lease_seconds", "initial_cursor", "overlap_minutes", "max_in_flight", "state_path"],
    "webhooks": ["max_body_bytes", "public_key_url", "enabled"],
    "pii": ["retention_days", "mask_text", "mode"],
    "backorder": ["minimum_partial_fraction", "default_safety_buffer", "mode"],
    "credentials": ["customer_id", "base_url", "client_id"],
    "units": ["decimal_places"],
    "references": ["max_length", "order_template"],
}
setting_values = st.one_of(
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.booleans(),
    st.sampled_from([2**62, 2**64, 1e-300, "yesterday", "env:", {"env": 5}, [], {}]),
    st.lists(st.integers(), max_size=3),
)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(BASE_CONFIG))  # a deep copy
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from(sorted(SECTIONS)))
        key = draw(st.sampled_from(SECTIONS[section]))
        data.setdefault(section, {})[key] = draw(setting_values)
    return data


@FUZZ
@given(configs())
def test_config_loader_raises_only_config_errors(data: dict[str, Any]) -> None:
    with contextlib.suppress(ConfigError):
        ChannelConfig.from_dict(data, environ={})


TOML_SAMPLE = (Path(__file__).parents[2] / "docs" / "channel.example.toml").read_bytes()


@FUZZ
@given(st.one_of(st.binary(max_size=200), mutated([TOML_SAMPLE])))
def test_config_file_bytes_raise_only_config_errors(tmp_path_factory: Any, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("cfg") / "channel.toml"
    path.write_bytes(raw)
    with contextlib.suppress(ConfigError):
        ChannelConfig.from_toml(path, environ={"EXTENSIV_CLIENT_SECRET": "s"})


def parsed(raw: bytes) -> tuple[str, Any]:
    """What ``wire.loads`` makes of ``raw``: the value's repr, or the refusal's path and text."""
    try:
        return ("value", repr(wire.loads(raw)))
    except WireFormatError as refusal:
        return ("refused", (refusal.json_path, refusal.message))


@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated(SAMPLES)))
def test_msgspec_and_the_standard_library_read_and_refuse_any_bytes_alike(
    json_backend: str, raw: bytes
) -> None:
    if json_backend != "msgspec":
        return  # the comparison needs both parsers; the json-only run has nothing to compare
    accelerated = parsed(raw)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_json_guard, "_ACCELERATED", None)
        pure = parsed(raw)

    assert pure == accelerated
