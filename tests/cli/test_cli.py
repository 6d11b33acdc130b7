"""The command line: demo, check, sync, journal and delete, against the sandbox on loopback."""

from __future__ import annotations

import builtins
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from extensiv_connector import cli
from extensiv_connector._demo import run_demo
from extensiv_connector.sandbox import Sandbox


@pytest.fixture
def channel_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extensiv_sandbox: Sandbox
) -> Path:
    creds = extensiv_sandbox.credentials
    monkeypatch.setenv("DEMO_SECRET", creds.client_secret)
    path = tmp_path / "channel.toml"
    path.write_text(
        f"""
[general]
connection_name = "cli-test"

[credentials]
base_url = "{extensiv_sandbox.base_url}"
client_id = "{creds.client_id}"
client_secret = {{ env = "DEMO_SECRET" }}
tpl = "{creds.tpl}"
user_login_id = "{creds.user_login_id}"
customer_id = {creds.customer_id}
facility_id = {creds.facility_id}

[sync]
state_path = "{(tmp_path / "state.sqlite3").as_posix()}"
"""
    )
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_demo_runs_every_action_and_exits_zero(tmp_path: Path) -> None:
    out = io.StringIO()

    code = run_demo(out, catalog_size=10, state_dir=tmp_path)

    text = out.getvalue()
    assert 0 == code, text
    for expected in (
        "check connection",
        "import products",
        "export products",
        "no partial shipments",
        "partial shipments allowed",
        "managed in the fulfillment channel",
        "nothing is sent twice",
        "short-shipped",
        "receive shipments",
        "send a receipt",
        "receive receipts",
        "re-evaluates backorders",
        "synchronize inventory",
        "journal",
    ):
        assert expected in text


def test_check_reports_each_step(channel_toml: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--config", str(channel_toml)], capsys)

    assert 0 == code
    assert ["customer", "facility", "carriers", "stock"] == [
        line.split()[1].rstrip(":") for line in out.splitlines()
    ]


def test_check_with_a_wrong_secret_fails_without_showing_it(
    channel_toml: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_SECRET", "definitely-wrong-secret")

    code, out, err = run(["check", "--config", str(channel_toml)], capsys)

    assert 1 == code
    assert "FAIL customer" in out
    assert "definitely-wrong-secret" not in out + err


def test_sync_push_orders_reads_json_and_prints_one_outcome_per_order(
    channel_toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders: list[dict[str, Any]] = [
        {
            "order_number": f"CLI-{n}",
            "lines": [{"sku": "SKU-000001", "quantity": 1, "line_reference": "1"}],
            "ship_to": {
                "name": "A",
                "address1": "1 Main",
                "city": "Dallas",
                "state": "TX",
                "postal_code": "75201",
                "country": "US",
            },
            "ordered_at": "2026-11-01T08:00:00",
        }
        for n in (1, 2)
    ]
    input_path = tmp_path / "orders.json"
    input_path.write_text(json.dumps(orders))

    code, out, err = run(
        [
            "--json",
            "sync",
            "push-orders",
            "--config",
            str(channel_toml),
            "--input",
            str(input_path),
        ],
        capsys,
    )
    again, out2, _ = run(
        [
            "sync",
            "push_orders",
            "--config",
            str(channel_toml),
            "--input",
            str(input_path),
            "--json",
        ],
        capsys,
    )

    assert (0, 0) == (code, again)
    assert ["sent_full", "sent_full"] == [json.loads(line)["status"] for line in out.splitlines()]
    assert ["already_present", "already_present"] == [
        json.loads(line)["status"] for line in out2.splitlines()
    ]
    assert {"sent_full": 2} == {k: v for k, v in json.loads(err)["counts"].items() if v}


def test_sync_receive_inventory_levels_prints_json_lines(
    channel_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["sync", "receive-inventory-levels", "--config", str(channel_toml)], capsys)

    rows = [json.loads(line) for line in out.splitlines()]
    assert 0 == code
    assert rows
    assert {"sku", "available", "on_hand"} <= set(rows[0])


def test_journal_lists_runs_and_takes_manual_log_entries(
    channel_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["check", "--config", str(channel_toml)], capsys)

    logged, _, _ = run(
        [
            "journal",
            "--config",
            str(channel_toml),
            "--log",
            "called the warehouse",
            "--reference",
            "SO-9",
        ],
        capsys,
    )
    _, table, _ = run(["journal", "--config", str(channel_toml)], capsys)
    _, by_ref, _ = run(
        ["journal", "--config", str(channel_toml), "--reference", "SO-9", "--csv"], capsys
    )

    assert 0 == logged
    assert "check_connection" in table
    assert "called the warehouse" in table
    assert "called the warehouse" in by_ref
    assert "check_connection" not in by_ref


def test_delete_needs_confirmation_then_clears_the_channel(
    channel_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["check", "--config", str(channel_toml)], capsys)

    refused, _, _ = run(["delete", "--config", str(channel_toml)], capsys)
    deleted, said, _ = run(["delete", "--config", str(channel_toml), "--yes"], capsys)
    again, said_again, _ = run(["--json", "delete", "--config", str(channel_toml), "--yes"], capsys)
    _, table, _ = run(["journal", "--config", str(channel_toml)], capsys)

    assert (2, 0, 1) == (refused, deleted, again)
    assert "deleted all state of channel 'cli-test'" in said
    assert {"channel": "cli-test", "found": False, "deleted": False} == json.loads(said_again)
    assert "check_connection" not in table


def test_a_config_error_is_reported_with_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[credentials]\nclient_id = "x"\n')

    code, _, err = run(["check", "--config", str(path)], capsys)

    assert 2 == code
    assert "credentials.client_secret: required setting is missing" in err


def test_a_missing_optional_extra_is_named_instead_of_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_import = builtins.__import__

    def without_werkzeug(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("werkzeug"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    stale = ("werkzeug", "extensiv_connector.sandbox", "extensiv_connector._demo")
    for module in [m for m in sys.modules if m.startswith(stale)]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(builtins, "__import__", without_werkzeug)

    code, _, err = run(["demo"], capsys)

    assert 2 == code
    assert "pip install 'extensiv-connector[sandbox]'" in err


def test_backorders_lists_held_orders_and_cancel_withdraws_them(
    channel_toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    order = {
        "order_number": "CLI-BIG",
        "lines": [{"sku": "SKU-000001", "quantity": 100000, "line_reference": "1"}],
        "ship_to": {"name": "A", "address1": "1 Main", "city": "Dallas", "country": "US"},
        "ordered_at": "2026-11-01T08:00:00",
    }
    input_path = tmp_path / "big.json"
    input_path.write_text(json.dumps([order]))
    run(["sync", "push-orders", "--config", str(channel_toml), "--input", str(input_path)], capsys)

    _, held, _ = run(["--json", "backorders", "--config", str(channel_toml)], capsys)
    cfg = str(channel_toml)
    code, canceled, _ = run(
        ["--json", "cancel", "CLI-BIG", "--reason", "customer canceled", "--config", cfg],
        capsys,
    )
    _, after, _ = run(["backorders", "--json", "--config", str(channel_toml)], capsys)

    assert ["CLI-BIG"] == [json.loads(line)["order_number"] for line in held.splitlines()]
    assert (0, ["withdrawn"]) == (
        code,
        [json.loads(line)["status"] for line in canceled.splitlines()],
    )
    assert "" == after


def test_rename_changes_the_label_keeps_the_channel_and_rewrites_the_file(
    channel_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["check", "--config", str(channel_toml)], capsys)

    code, out, _ = run(["rename", "Acme West", "--config", str(channel_toml)], capsys)
    _, table, _ = run(["journal", "--config", str(channel_toml)], capsys)
    text = channel_toml.read_text()

    assert 0 == code
    assert "channel id 'cli-test' unchanged" in out
    assert 'connection_name = "Acme West"' in text
    assert 'channel_id = "cli-test"' in text
    assert '{ env = "DEMO_SECRET" }' in text  # references stay references
    assert "check_connection" in table  # the journal is still the channel's
