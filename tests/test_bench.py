"""The benchmark harness works (a quick smoke run); it never asserts a speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(300)
def test_quick_bench_run_writes_every_result(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--only", "extraction",
                             "storage", "update", "--output", str(output)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(output.read_text())
    assert data["quick"] is True and data["versions"]["archiver"]
    assert data["extraction"]["tk-theme (real sample page)"]["ratio"] > 0
    assert data["storage"]["sqlite"]["articles_per_second"]["median"] > 0
    assert data["update"]["update"]["requests"] > 0
