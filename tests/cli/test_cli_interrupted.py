"""The CLI loses nothing when it is stopped mid-pull: every record it is asked to stream is
written at least once across the interrupted run and the re-run (SIGINT and SIGKILL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sandbox._cli import write_config

CLI = [sys.executable, "-m", "extensiv_connector.cli"]
CATALOG = 1500  # 15 pages of 100 items: three acknowledgement batches


def _start_import(config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
        [*CLI, "--json", "sync", "import-products", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _setup(sb: Sandbox, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    config = tmp_path / "channel.toml"
    exports = write_config(str(config), sb.connection_info())
    with config.open("a") as handle:  # a killed run's lease must run out soon
        handle.write("\n[sync]\nlease_seconds = 1\n")
    env = dict(os.environ)
    for line in exports:
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value.strip("'")
    return config, env


@pytest.mark.parametrize(
    ("sig", "stop_after"),
    [(signal.SIGINT, 300), (signal.SIGKILL, 700)],
    ids=["sigint", "sigkill"],
)
def test_import_stopped_mid_pull_emits_every_product_at_least_once_across_the_rerun(
    tmp_path: Path, sig: signal.Signals, stop_after: int
) -> None:
    with Sandbox(catalog_size=CATALOG) as sb:
        config, env = _setup(sb, tmp_path)
        sb.faults.configure(latency_ms=60)  # pages arrive slowly enough to stop in between
        child = _start_import(config, env)
        assert child.stdout is not None
        first: list[str] = []
        for line in child.stdout:
            first.append(json.loads(line)["sku"])
            if len(first) == stop_after:
                child.send_signal(sig)
                break
        # read on through the same buffered pipe: the loop above may have read ahead
        first.extend(json.loads(line)["sku"] for line in child.stdout)  # whole lines only
        child.wait(timeout=60)
        assert child.stderr is not None
        err = child.stderr.read()
        child.stdout.close()
        child.stderr.close()
        sb.faults.configure(latency_ms=0)

        for _ in range(30):  # a SIGKILLed run leaves its lease to expire (1 s)
            rerun = subprocess.run(  # noqa: S603 - our own interpreter and module
                [*CLI, "--json", "sync", "import-products", "--config", str(config)],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                check=False,
            )
            if rerun.returncode != 4:  # 4: lease held
                break
            time.sleep(0.5)
        second = [json.loads(line)["sku"] for line in rerun.stdout.splitlines()]
        with sb.warehouse.lock:
            every_sku = {record.doc["sku"] for record in sb.warehouse.items.values()}

    expected_code = 130 if sig is signal.SIGINT else -signal.SIGKILL
    assert expected_code == child.returncode, err
    assert 0 == rerun.returncode, rerun.stderr
    assert len(first) < CATALOG  # it really was stopped mid-pull
    assert every_sku == set(first) | set(second)
    # what was written before the stop was acknowledged, up to the last uncommitted batch
    assert len(second) < CATALOG
    assert set(second) >= every_sku - set(first)


def test_sigterm_stops_a_pull_like_ctrl_c_and_releases_the_lease(tmp_path: Path) -> None:
    with Sandbox(catalog_size=CATALOG) as sb:
        config, env = _setup(sb, tmp_path)
        text = config.read_text()  # a lease that outlives the test unless it is released
        config.write_text(text.replace("lease_seconds = 1", "lease_seconds = 600"))
        sb.faults.configure(latency_ms=60)
        child = _start_import(config, env)
        assert child.stdout is not None
        first: list[str] = []
        for line in child.stdout:
            first.append(json.loads(line)["sku"])
            if len(first) == 300:
                child.send_signal(signal.SIGTERM)
                break
        first.extend(json.loads(line)["sku"] for line in child.stdout)
        child.wait(timeout=60)
        assert child.stderr is not None
        err = child.stderr.read()
        child.stdout.close()
        child.stderr.close()
        sb.faults.configure(latency_ms=0)
        rerun = subprocess.run(  # noqa: S603 - our own interpreter and module
            [*CLI, "--json", "sync", "import-products", "--config", str(config)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    assert 130 == child.returncode, err
    assert "interrupted" in err
    assert 0 == rerun.returncode, rerun.stderr  # not 4: the lease was released
