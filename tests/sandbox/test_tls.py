"""HTTPS on loopback with a fresh self-signed CA: unmodified clients trust the printed CA."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.client import ExtensivClient
from extensiv_connector.config import ChannelConfig
from extensiv_connector.errors import ConfigError, ConnectionFailedError
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sandbox._wh_core import format_stamp
from extensiv_connector.wire import parse_timestamp


def _token(sb: Sandbox, **kwargs: Any) -> requests.Response:
    c = sb.credentials
    return requests.post(
        sb.token_url,
        auth=(c.client_id, c.client_secret),
        json={"grant_type": "client_credentials"},
        timeout=10,
        **kwargs,
    )


def test_requests_with_the_ca_file_talks_to_the_tls_sandbox_and_without_it_refuses() -> None:
    with Sandbox(catalog_size=1, tls=True) as sb:
        ca_file = sb.ca_file
        assert ca_file is not None
        trusted = _token(sb, verify=ca_file)
        with pytest.raises(requests.exceptions.SSLError):
            _token(sb)

    assert (200, "Bearer") == (trusted.status_code, trusted.json()["token_type"])
    assert not os.path.exists(ca_file)  # removed with the run: it only vouches for it


def test_the_client_refuses_an_untrusted_certificate_and_accepts_verify() -> None:
    with Sandbox(catalog_size=1, tls=True) as sb:
        info = sb.connection_info()
        ca_file = info.pop("ca_file")
        untrusted = ExtensivClient(**info, max_attempts=1)
        trusted = ExtensivClient(**info, verify=ca_file)

        with pytest.raises(ConnectionFailedError):
            untrusted.customers.get(12)
        assert 12 == trusted.customers.get(12).value.customer_id


def test_cli_with_tls_prints_ca_file_in_its_first_line_and_curl_trusts_it() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "extensiv_connector.sandbox", "--catalog-size", "1", "--tls"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        curl = subprocess.run(  # noqa: S603 - fixed argv, curl from PATH is the point
            [  # noqa: S607
                "curl",
                "--silent",
                "--show-error",
                "--cacert",
                info["ca_file"],
                "-u",
                f"{info['client_id']}:{info['client_secret']}",
                "-H",
                "Content-Type: application/json",
                "-d",
                '{"grant_type": "client_credentials"}',
                info["base_url"] + "/AuthServer/api/Token",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()

    assert info["base_url"].startswith("https://127.0.0.1:")
    assert (0, "Bearer") == (curl.returncode, json.loads(curl.stdout)["token_type"])


def test_plain_http_stays_the_default() -> None:
    with Sandbox(catalog_size=1) as sb:
        assert (sb.base_url.startswith("http://"), None) == (True, sb.ca_file)
        assert "ca_file" not in sb.connection_info()


def test_a_missing_ca_file_in_config_is_a_config_error_naming_the_setting() -> None:
    with Sandbox(catalog_size=1) as sb:
        data = {"credentials": sb.connection_info(), "client": {"ca_file": "/nonexistent/ca.pem"}}
        with pytest.raises(ConfigError) as caught:
            ChannelConfig.from_dict(data)

    assert "client.ca_file" == caught.value.path


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_sandbox_stamps_have_at_most_two_digits_and_read_back_to_the_centisecond(
    moment: datetime,
) -> None:
    text = format_stamp(moment)
    fraction = text.partition(".")[2]

    assert len(fraction) <= 2
    assert not fraction.endswith("0")
    expected = moment.replace(microsecond=moment.microsecond // 10_000 * 10_000)
    assert expected == parse_timestamp(text)
    assert timedelta(0) <= moment - parse_timestamp(text) < timedelta(milliseconds=10)
