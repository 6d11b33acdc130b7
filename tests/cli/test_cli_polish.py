"""CLI contract: --json everywhere (one snake_case schema), clear errors with exit codes for
bad input, found/not-found reports, dry runs, state beside the config, logs, broken pipes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from extensiv_connector import cli
from extensiv_connector.config import ChannelConfig
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sandbox._cli import write_config


@pytest.fixture
def config_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extensiv_sandbox: Sandbox
) -> tuple[Path, dict[str, str]]:
    config = tmp_path / "conf" / "channel.toml"
    config.parent.mkdir()
    exports = write_config(str(config), extensiv_sandbox.connection_info())
    env = dict(os.environ)
    for line in exports:
        name, _, value = line.removeprefix("export ").partition("=")
        monkeypatch.setenv(name, value.strip("'"))
        env[name] = value.strip("'")
    return config, env


@pytest.fixture
def config(config_and_env: tuple[Path, dict[str, str]]) -> Path:
    return config_and_env[0]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _order(number: str, qty: int = 1) -> dict[str, Any]:
    return {
        "order_number": number,
        "lines": [{"sku": "SKU-000001", "quantity": qty, "line_reference": "1"}],
        "ship_to": {"name": "A", "address1": "1 Main", "city": "Dallas", "country": "US"},
        "ordered_at": "2026-11-01T08:00:00",
    }


def test_json_import_products_streams_one_snake_case_line_per_product(
    config: Path, capsys: pytest.CaptureFixture[str], extensiv_sandbox: Sandbox
) -> None:
    code, out, err = run(["--json", "sync", "import-products", "--config", str(config)], capsys)
    again, out2, err2 = run(["sync", "import-products", "--config", str(config), "--json"], capsys)

    rows = [json.loads(line) for line in out.splitlines()]
    assert (0, 0) == (code, again)
    with extensiv_sandbox.warehouse.lock:
        skus = sorted(r.doc["sku"] for r in extensiv_sandbox.warehouse.items.values())
    assert skus == sorted(r["sku"] for r in rows)
    assert all(key == key.lower() for row in rows for key in row)
    n = len(skus)
    assert {"received": n, "skipped": 0, "rejected": 0} == json.loads(err)["counts"]
    assert "" == out2
    assert {"received": 0, "skipped": n, "rejected": 0} == json.loads(err2)["counts"]


@pytest.mark.parametrize(
    ("action", "content", "expected"),
    [
        ("push-orders", None, "--input {path}: no such file"),
        ("push-orders", "[{not json", "--input {path}: not valid JSON at line 1, column 3"),
        (
            "push-orders",
            '{"order_number": "X"}',
            "--input {path}: expected a JSON list of records, got an object",
        ),
        ("push-orders", '[{"order_number": "X", "lines": 5}]', "--input {path}: record [0]:"),
        (
            "synchronize-inventory",
            '{"SKU-1": "lots"}',
            "--input {path}: level of 'SKU-1' is not a number: 'lots'",
        ),
        (
            "synchronize-inventory",
            '[["SKU-1", 3]]',
            '--input {path}: expected an object {{"SKU": level}}, got a list',
        ),
    ],
    ids=["missing-file", "not-json", "not-a-list", "bad-record", "non-numeric-level", "list"],
)
def test_bad_input_is_one_line_naming_the_file_with_exit_code_2(
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    action: str,
    content: str | None,
    expected: str,
) -> None:
    path = tmp_path / "input.json"
    if content is not None:
        path.write_text(content)

    code, out, err = run(["sync", action, "--config", str(config), "--input", str(path)], capsys)

    assert (2, "") == (code, out)
    assert err.startswith("error: " + expected.format(path=path)), err
    assert 1 == len(err.splitlines())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sync", "push-ordres"], "unknown action 'push-ordres'; expected one of"),
        (["sync", "import-products", "--input", "x.json"], "sync import-products takes no --input"),
        (
            ["sync", "import-products", "--dry-run"],
            "--dry-run applies to push-orders, send-receipts",
        ),
        (["journal", "--action", "nope"], "unknown action 'nope'; expected one of"),
        (["sync", "push-orders"], "sync push-orders needs --input FILE"),
    ],
)
def test_usage_mistakes_exit_2_with_a_reason(
    config: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    try:
        code: str | int | None = cli.main([*args, "--config", str(config)])
    except SystemExit as exited:  # argparse reports its own usage errors by exiting
        code = exited.code
    err = capsys.readouterr().err

    assert 2 == code
    assert expected in err


def test_journal_accepts_both_action_spellings_and_prints_an_aligned_table(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps([_order("J-1")]))
    run(["sync", "push-orders", "--config", str(config), "--input", str(orders)], capsys)
    run(["check", "--config", str(config)], capsys)

    _, dashed, _ = run(["journal", "--config", str(config), "--action", "push-orders"], capsys)
    _, underscored, _ = run(["journal", "--config", str(config), "--action", "push_orders"], capsys)
    _, table, _ = run(["journal", "--config", str(config)], capsys)

    assert dashed == underscored
    assert "push_orders" in dashed
    assert "check_connection" not in dashed
    header, *lines = table.splitlines()
    assert header.startswith("STARTED_AT")
    status_column = header.index("STATUS")
    assert {"success"} == {line[status_column:].split()[0] for line in lines}


def test_a_relative_state_path_is_found_from_any_working_directory(
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run(["check", "--config", str(config)], capsys)
    monkeypatch.chdir(elsewhere)

    code, out, _ = run(["--json", "journal", "--config", str(config)], capsys)

    assert 0 == code
    assert ["check_connection"] == [json.loads(line)["action"] for line in out.splitlines()]
    assert (config.parent / "extensiv-connector.sqlite3").exists()
    assert [] == list(elsewhere.iterdir())


def test_cancel_of_an_unknown_order_says_nothing_was_found_and_exits_1(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["cancel", "NO-SUCH", "--reason", "x", "--config", str(config)]

    code, out, _ = run(args, capsys)
    json_code, json_out, _ = run(["--json", *args], capsys)

    assert (1, 1) == (code, json_code)
    assert "order 'NO-SUCH': nothing held or sent by this channel" in out
    assert {"order_number": "NO-SUCH", "found": False, "outcomes": []} == json.loads(json_out)


def test_dry_run_push_prints_decisions_and_payloads_and_sends_and_records_nothing(
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extensiv_sandbox: Sandbox,
) -> None:
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps([_order("DRY-1"), _order("DRY-2", qty=0)]))

    code, out, err = run(
        ["sync", "push-orders", "--dry-run", "--config", str(config), "--input", str(orders)],
        capsys,
    )
    _, journal, _ = run(["--json", "journal", "--config", str(config)], capsys)

    planned = [json.loads(line) for line in out.splitlines()]
    assert 0 == code
    assert [("DRY-1", "send_full"), ("DRY-2", "reject")] == [
        (p["order_number"], p["action"]) for p in planned
    ]
    assert "DRY-1-1" == planned[0]["payload"]["referenceNum"]
    assert "nothing sent or recorded" in err
    with extensiv_sandbox.warehouse.lock:
        assert {} == dict(extensiv_sandbox.warehouse.orders)
    assert "" == journal


def test_a_network_error_names_the_host_and_the_time_waited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("EXTENSIV_CLIENT_SECRET", "s")
    config = tmp_path / "channel.toml"
    config.write_text(
        f"""
[credentials]
base_url = "http://127.0.0.1:{port}"
client_id = "c"
client_secret = {{ env = "EXTENSIV_CLIENT_SECRET" }}
user_login_id = "1"
customer_id = 1
facility_id = 1

[client]
max_retries = 0
"""
    )

    code, _, err = run(["sync", "import-products", "--config", str(config)], capsys)

    assert 3 == code
    assert f"error: cannot reach 127.0.0.1:{port} (gave up after " in err


def test_a_closed_output_pipe_ends_quietly(config_and_env: tuple[Path, dict[str, str]]) -> None:
    config, env = config_and_env
    command = [sys.executable, "-m", "extensiv_connector.cli", "--json"]
    command += ["sync", "receive-inventory-levels", "--config", str(config)]
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert child.stdout is not None
    child.stdout.readline()
    child.stdout.close()  # like `| head -1`

    _, err = child.communicate(timeout=60)

    assert child.returncode in (0, 141)  # 0 if everything fit in the pipe before it closed
    assert b"Traceback" not in err


def test_json_logs_go_to_stderr_one_object_per_line_without_secrets(
    config: Path, capsys: pytest.CaptureFixture[str], extensiv_sandbox: Sandbox
) -> None:
    code, _, err = run(
        ["--log-level", "debug", "--log-format", "json", "check", "--config", str(config)], capsys
    )

    records = [json.loads(line) for line in err.splitlines()]
    assert 0 == code
    assert records
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert extensiv_sandbox.credentials.client_secret not in err


def test_sandbox_write_config_writes_a_channel_with_env_references(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "extensiv_connector.cli", "sandbox", "--write-config", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stderr is not None
        info = json.loads(child.stdout.readline())
        notes = [child.stderr.readline() for _ in range(3)]
    finally:
        child.terminate()
        child.communicate(timeout=30)

    text = path.read_text()
    assert f"wrote {path}; set its secrets with:\n" == notes[0]
    assert notes[1].startswith("export EXTENSIV_CLIENT_SECRET=")
    assert notes[2].startswith("export EXTENSIV_TPL=")
    assert info["client_secret"] not in text
    assert 'client_secret = { env = "EXTENSIV_CLIENT_SECRET" }' in text
    assert info["base_url"] in text


def test_importing_the_sandbox_without_its_extra_names_the_extra() -> None:
    blocked = "import sys; sys.modules['werkzeug'] = None; import extensiv_connector.sandbox"

    ran = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", blocked], capture_output=True, text=True, check=False
    )

    assert 1 == ran.returncode
    assert (
        "ModuleNotFoundError: extensiv_connector.sandbox needs the 'sandbox' extra: "
        "pip install 'extensiv-connector[sandbox]'"
    ) in ran.stderr


def test_from_toml_resolves_a_relative_state_path_beside_the_file(tmp_path: Path) -> None:
    from extensiv_connector import ChannelConfig

    path = tmp_path / "conf" / "channel.toml"
    path.parent.mkdir()
    base = '[credentials]\nbase_url = "http://127.0.0.1:1"\nclient_id = "c"\n'
    base += 'client_secret = "s"\nuser_login_id = "1"\ncustomer_id = 1\nfacility_id = 1\n'
    path.write_text(base + '[sync]\nstate_path = "var/state.sqlite3"\n')
    relative = ChannelConfig.from_toml(path).sync.state_path
    path.write_text(base + f'[sync]\nstate_path = "{tmp_path / "abs.sqlite3"}"\n')
    absolute = ChannelConfig.from_toml(path).sync.state_path

    assert str(path.parent / "var" / "state.sqlite3") == relative
    assert str(tmp_path / "abs.sqlite3") == absolute


def test_ctrl_c_in_the_middle_of_a_line_is_raised_after_the_line_is_complete() -> None:
    import io
    import signal

    from extensiv_connector._cli_io import Output

    class InterruptedMidWrite(io.StringIO):
        def write(self, text: str) -> int:
            half = len(text) // 2
            super().write(text[:half])
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C lands half way through the line
            return super().write(text[half:])

    out = InterruptedMidWrite()
    output = Output(out, io.StringIO(), as_json=True, quiet=True)

    with output.whole_lines(), pytest.raises(KeyboardInterrupt):
        output.line({"sku": "SKU-1"})

    assert '{"sku":"SKU-1"}\n' == out.getvalue()


def test_journal_without_a_state_file_says_so_instead_of_creating_an_empty_one(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = config.parent / "extensiv-connector.sqlite3"

    code, _, err = run(["journal", "--config", str(config)], capsys)

    assert 2 == code
    assert f"error: no state file at {state}: nothing has run with this config yet\n" == err
    assert not state.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["journal", "--last", "99999999999999999999999"], "--last: expected at most"),
        (["prune", "--keep-runs", "99999999999999999999999"], "--keep-runs: expected at most"),
        (["prune", "--days", "99999999999999999999999"], "--days: expected at most"),
        (["prune", "--days", "1000000"], "--days: expected at most"),
    ],
)
def test_huge_counts_are_usage_errors_not_tracebacks(
    config: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    run(["check", "--config", str(config)], capsys)  # the state file exists
    try:
        code: str | int | None = cli.main([*args, "--config", str(config)])
    except SystemExit as exited:
        code = exited.code
    err = capsys.readouterr().err

    assert 2 == code
    assert expected in err
    assert "Traceback" not in err


def test_a_demo_catalog_beyond_the_sandbox_limit_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["demo", "--catalog-size", "100001"])

    assert 2 == exited.value.code
    assert "--catalog-size: expected at most 100000" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["99999", "-1", "65536"])
def test_sandbox_refuses_a_port_outside_0_to_65535(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["sandbox", "--port", port])
    captured = capsys.readouterr()

    assert 2 == exited.value.code
    assert "--port: expected 0-65535" in captured.err
    assert "" == captured.out  # nothing was served


def test_sandbox_errors_are_one_error_line_and_an_unwritable_config_serves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_size = cli.main(["sandbox", "--catalog-size", "-1"])
    size_err = capsys.readouterr().err
    unwritable = cli.main(["sandbox", "--write-config", str(tmp_path / "missing" / "c.toml")])
    captured = capsys.readouterr()

    assert (2, 2) == (bad_size, unwritable)
    assert size_err.startswith("error: ")
    assert captured.err.startswith("error: cannot write ")
    assert "" == captured.out  # no credentials printed for a sandbox that is not served


def test_sandbox_write_config_with_tls_puts_the_ca_file_in_the_client_section(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.toml"
    with Sandbox(catalog_size=1, tls=True) as sandbox:
        write_config(str(path), sandbox.connection_info())
        text = path.read_text()
        assert f'ca_file = "{sandbox.ca_file}"' in text
        loaded = ChannelConfig.from_toml(
            str(path),
            environ={
                "EXTENSIV_CLIENT_SECRET": sandbox.credentials.client_secret,
                "EXTENSIV_TPL": sandbox.credentials.tpl,
            },
        )
        assert loaded.client.ca_file == sandbox.ca_file
