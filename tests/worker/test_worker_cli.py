"""``extensiv-connector worker`` and ``--state``: one-shot runs, pulled records on stdout, a
graceful SIGTERM, and the state URL overriding the config on channel commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from extensiv_connector import cli
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]


def _toml(tmp_path: Path, sb: Sandbox, name: str, schedule: str) -> Path:
    creds = sb.credentials
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f"""
[general]
connection_name = "{name}"

[credentials]
base_url = "{sb.base_url}"
client_id = "{creds.client_id}"
client_secret = {{ env = "WORKER_TEST_SECRET" }}
tpl = "{creds.tpl}"
user_login_id = "{creds.user_login_id}"
customer_id = {creds.customer_id}
facility_id = {creds.facility_id}

[sync]
state_path = "{(tmp_path / f"{name}-ignored.sqlite3").as_posix()}"
lease_seconds = 5

[sync.schedule]
{schedule}
"""
    )
    return path


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch, extensiv_sandbox: Sandbox) -> None:
    monkeypatch.setenv("WORKER_TEST_SECRET", extensiv_sandbox.credentials.client_secret)


@pytest.mark.usefixtures("secret")
def test_worker_once_runs_what_is_due_for_every_config_then_nothing(
    tmp_path: Path, extensiv_sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _toml(tmp_path, extensiv_sandbox, "cli-a", 'import_products = "every 10m"')
    b = _toml(tmp_path, extensiv_sandbox, "cli-b", 'receive_inventory_levels = "*/5 * * * *"')
    state = f"sqlite:///{(tmp_path / 'shared.sqlite3').as_posix()}"
    args = ["worker", "--once", "--state", state, "--config", str(a), "--config", str(b)]

    first = cli.main(args)
    out, err = capsys.readouterr()
    second = cli.main(args)
    _, err_again = capsys.readouterr()

    rows = [json.loads(line) for line in out.splitlines()]
    outcomes = sorted(
        (o["channel"], o["action"], o["status"]) for o in map(json.loads, err.split("\n")[:-1])
    )
    assert (0, 0) == (first, second)
    assert [("cli-a", "import_products", "ran"), ("cli-b", "receive_inventory_levels", "ran")] == (
        outcomes
    )
    assert {"cli-a", "cli-b"} == {row["channel"] for row in rows}  # pulled records, tagged
    assert "" == err_again  # nothing due on the second pass
    assert not (tmp_path / "cli-a-ignored.sqlite3").exists()  # --state won over state_path
    with SQLiteStore(tmp_path / "shared.sqlite3") as store:
        assert ["cli-a", "cli-b"] == store.channels()


@pytest.mark.usefixtures("secret")
def test_state_flag_overrides_the_config_on_channel_commands(
    tmp_path: Path, extensiv_sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _toml(tmp_path, extensiv_sandbox, "cli-state", "")
    state = f"sqlite:///{(tmp_path / 'elsewhere.sqlite3').as_posix()}"

    code = cli.main(["journal", "--config", str(config), "--state", state, "--log", "hello"])
    capsys.readouterr()

    assert 0 == code
    assert not (tmp_path / "cli-state-ignored.sqlite3").exists()
    with SQLiteStore(tmp_path / "elsewhere.sqlite3") as store:
        assert ["hello"] == [e.message for e in store.journal_query("cli-state")]


def test_a_bad_state_url_is_a_clear_error(
    tmp_path: Path, extensiv_sandbox: Sandbox, capsys: pytest.CaptureFixture[str], secret: None
) -> None:
    config = _toml(tmp_path, extensiv_sandbox, "cli-bad", 'import_products = "every 1m"')

    code = cli.main(["worker", "--once", "--state", "redis://x", "--config", str(config)])

    assert 2 == code
    assert "unknown state store scheme 'redis'" in capsys.readouterr().err


def test_sigterm_stops_the_worker_cleanly_and_releases_its_leases(
    tmp_path: Path, extensiv_sandbox: Sandbox
) -> None:
    config = _toml(tmp_path, extensiv_sandbox, "cli-term", 'import_products = "every 1s"')
    state = tmp_path / "term.sqlite3"
    proc = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [
            sys.executable,
            "-m",
            "extensiv_connector.cli",
            "worker",
            "--state",
            f"sqlite:///{state.as_posix()}",
            "--config",
            str(config),
            "--poll-seconds",
            "0.2",
        ],
        cwd=ROOT,
        env={**os.environ, "WORKER_TEST_SECRET": extensiv_sandbox.credentials.client_secret},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        runs = 0
        while runs < 2 and time.monotonic() < deadline:  # let it run the job a few times
            time.sleep(0.2)
            if state.exists():
                with SQLiteStore(state) as store:
                    runs = len(store.journal_query("cli-term"))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

    assert 0 == proc.returncode, err
    assert runs >= 2
    with SQLiteStore(state) as store:
        assert store.lease_info("cli-term", "worker:import_products") is None
        assert store.lease_info("cli-term", "import_products") is None
        assert {"success"} == {e.status.value for e in store.journal_query("cli-term") if e.status}


def test_configs_naming_different_stores_need_an_explicit_state(
    tmp_path: Path, extensiv_sandbox: Sandbox, capsys: pytest.CaptureFixture[str], secret: None
) -> None:
    a = _toml(tmp_path, extensiv_sandbox, "cli-x", 'import_products = "every 1m"')
    b = _toml(tmp_path, extensiv_sandbox, "cli-y", 'import_products = "every 1m"')

    code = cli.main(["worker", "--once", "--config", str(a), "--config", str(b)])

    assert 2 == code
    assert "sync.state_url: the channels name different state stores" in capsys.readouterr().err


_HOST_SOURCES = """
from datetime import datetime
from decimal import Decimal

from extensiv_connector.models import Address, OrderLine, SalesOrder

SHIP_TO = Address(name="H", address1="1 Main St", city="Dallas", postal_code="75201", country="US")
opened = []


def released(config):
    return [
        SalesOrder(
            order_number=f"{config.channel}-{i}",
            lines=[OrderLine(sku="SKU-000001", quantity=Decimal(1), line_reference="1")],
            ship_to=SHIP_TO,
            ordered_at=datetime(2026, 1, 1),
        )
        for i in range(3)
    ]


def sources():
    opened.append("db")  # a host opens its connections here, once
    return {"push_orders": released}


as_list = ["push_orders"]
unknown_action = {"push_everything": released}
not_callable = {"push_orders": "released"}
needs_arguments = released


def broken():
    raise RuntimeError("password=hunter2")  # must not reach the error line
"""


def _host_module(tmp_path: Path) -> Path:
    folder = tmp_path / "host"
    folder.mkdir(exist_ok=True)
    (folder / "host_sources.py").write_text(_HOST_SOURCES)
    return folder


def _run_worker_process(
    sb: Sandbox, tmp_path: Path, config: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "WORKER_TEST_SECRET": sb.credentials.client_secret,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(_host_module(tmp_path)), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    state = f"sqlite:///{(tmp_path / 'sourced.sqlite3').as_posix()}"
    command = [sys.executable, "-m", "extensiv_connector.cli", "worker", "--once"]
    return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [*command, "--state", state, "--config", str(config), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sources_named_on_the_command_line_feed_push_orders(
    tmp_path: Path, extensiv_sandbox: Sandbox
) -> None:
    config = _toml(tmp_path, extensiv_sandbox, "cli-src", 'push_orders = "every 1m"')

    done = _run_worker_process(
        extensiv_sandbox, tmp_path, config, "--sources", "host_sources:sources"
    )

    outcomes = [json.loads(line) for line in done.stderr.splitlines()]
    assert 0 == done.returncode, done.stderr
    assert [("cli-src", "push_orders", "ran")] == [
        (o["channel"], o["action"], o["status"]) for o in outcomes
    ]
    with SQLiteStore(tmp_path / "sourced.sqlite3") as store:
        sent = sorted(e.host_key for e in store.ledger_list("cli-src") if e.state.value == "sent")
    assert ["cli-src-0", "cli-src-1", "cli-src-2"] == sent


def test_sources_that_cannot_be_imported_are_a_usage_error_of_the_real_command(
    tmp_path: Path, extensiv_sandbox: Sandbox
) -> None:
    config = _toml(tmp_path, extensiv_sandbox, "cli-nosrc", 'push_orders = "every 1m"')

    done = _run_worker_process(
        extensiv_sandbox, tmp_path, config, "--sources", "no_such_host_module:sources"
    )

    assert (2, "") == (done.returncode, done.stdout)
    assert [
        "error: --sources: cannot import 'no_such_host_module':"
        " No module named 'no_such_host_module'"
    ] == done.stderr.splitlines()
    assert not (tmp_path / "sourced.sqlite3").exists()  # refused before opening the store


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("host_sources", "expected MODULE:NAME (e.g. oms.extensiv:sources), got 'host_sources'"),
        ("host_sources:missing", "module 'host_sources' has no 'missing'"),
        ("host_sources:as_list", "host_sources:as_list gave a list, not a mapping"),
        ("host_sources:unknown_action", "'push_everything' takes no source; sources feed"),
        ("host_sources:not_callable", "the source of push_orders must be a callable taking"),
        ("host_sources:needs_arguments", "host_sources:needs_arguments takes arguments"),
        ("host_sources:broken", "host_sources:broken() raised RuntimeError"),
    ],
)
def test_a_wrong_sources_object_is_a_usage_error_naming_what_is_wrong(
    tmp_path: Path,
    extensiv_sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    secret: None,
    name: str,
    message: str,
) -> None:
    monkeypatch.syspath_prepend(str(_host_module(tmp_path)))
    monkeypatch.delitem(sys.modules, "host_sources", raising=False)
    config = _toml(tmp_path, extensiv_sandbox, "cli-wrong", 'push_orders = "every 1m"')

    code = cli.main(["worker", "--once", "--config", str(config), "--sources", name])

    err = capsys.readouterr().err
    assert (2, 1) == (code, len(err.splitlines()))
    assert err.startswith(f"error: --sources: {message}")
    assert "hunter2" not in err


def test_an_action_needing_host_input_without_sources_says_how_to_give_them(
    tmp_path: Path, extensiv_sandbox: Sandbox, capsys: pytest.CaptureFixture[str], secret: None
) -> None:
    config = _toml(tmp_path, extensiv_sandbox, "cli-needs", 'send_receipts = "every 1m"')

    code = cli.main(["worker", "--once", "--config", str(config)])

    assert 2 == code
    assert "--sources MODULE:NAME" in capsys.readouterr().err
