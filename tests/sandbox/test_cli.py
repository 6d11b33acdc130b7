from __future__ import annotations

import json
import subprocess
import sys

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
