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
