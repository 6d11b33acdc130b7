from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
import requests


def test_cli_prints_connection_json_first_and_serves_until_terminated() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "extensiv_connector.sandbox",
            "--catalog-size",
            "5",
            "--latency-ms",
            "1",
            "--error-rate",
            "0",
            "--lost-response-rate",
            "0",
            "--seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert {
            "base_url",
            "client_id",
            "client_secret",
            "tpl",
            "user_login_id",
            "customer_id",
            "facility_id",
        } == set(info)
        assert info["base_url"].startswith("http://127.0.0.1:")
        token = requests.post(
            info["base_url"] + "/AuthServer/api/Token",
            auth=(info["client_id"], info["client_secret"]),
            json={
                "grant_type": "client_credentials",
                "user_login_id": info["user_login_id"],
                "tpl": info["tpl"],
            },
            timeout=5,
        ).json()["access_token"]
        summaries = requests.get(
            info["base_url"] + "/inventory/stocksummaries",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        ).json()
        assert 5 == summaries["TotalResults"]
    finally:
        process.terminate()
        assert 0 == process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_cli_rejects_bad_settings() -> None:
    from extensiv_connector.cli import main

    assert 2 == main(["sandbox", "--error-rate", "3"])


def test_cli_refuses_a_port_outside_0_to_65535_instead_of_serving_elsewhere(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from extensiv_connector.sandbox._cli import main

    for port in ("99999", "-1", "65536"):
        with pytest.raises(SystemExit) as exited:  # argparse refuses it as a usage error
            main(["--port", port, "--catalog-size", "0"])
        captured = capsys.readouterr()
        assert 2 == exited.value.code
        assert "" == captured.out  # no connection line: nothing was served
        assert "--port: expected 0-65535" in captured.err


def test_cli_reports_an_address_it_cannot_listen_on_as_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from extensiv_connector.sandbox._cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert 2 == main(["--port", str(port), "--catalog-size", "0"])
    assert "sandbox: cannot listen on 127.0.0.1:" in capsys.readouterr().err
    assert 2 == main(["--host", "0.0.0.0.0", "--catalog-size", "0"])
    assert "sandbox: cannot listen on 0.0.0.0.0:" in capsys.readouterr().err
