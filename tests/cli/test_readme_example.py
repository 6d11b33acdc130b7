"""The README's "Embed it in your OMS" example runs verbatim against
`extensiv-connector sandbox --write-config channel.toml`, with the export lines it prints."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
CLI = [sys.executable, "-m", "extensiv_connector.cli"]


def _embed_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Embed it in your OMS", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the README lost its embed example"
    return match.group(1)


def test_readme_embed_example_runs_verbatim_against_the_written_sandbox_config(
    tmp_path: Path,
) -> None:
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*CLI, "sandbox", "--write-config", "channel.toml"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stderr is not None
        json.loads(server.stdout.readline())
        server.stderr.readline()  # "wrote channel.toml; set its secrets with:"
        env = dict(os.environ)
        for _ in range(2):
            name, _, value = server.stderr.readline().strip().removeprefix("export ").partition("=")
            env[name] = value.strip("'")
        script = tmp_path / "embed.py"
        script.write_text(_embed_example())

        ran = subprocess.run(  # noqa: S603 - our own interpreter, the README's code
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.terminate()
        server.communicate(timeout=30)

    assert 0 == ran.returncode, ran.stderr
    assert ran.stdout.startswith("SO-1001 sent_full"), ran.stdout
    assert "products" in ran.stdout
    assert (tmp_path / "extensiv-connector.sqlite3").exists()
