"""How long the `archiver` command takes before it does anything: `--help`, `--version` and a research command's
`--help`, beside `python -c pass` (the interpreter's own start) measured in the same rounds, alternating.

Run: ``.venv/bin/python bench/cli_startup.py [--runs 20]``. Prints JSON: per command the wall seconds (median,
min, max) and the median over the interpreter's, plus which of Scrapy, Twisted, Redis and SQLAlchemy the command
imported (none should be, for these).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from common import measure, spread

ARCHIVER = str(Path(sys.executable).parent / "archiver")
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "archiver --help": [ARCHIVER, "--help"],
    "archiver --version": [ARCHIVER, "--version"],
    "archiver search --help": [ARCHIVER, "search", "--help"],
}
PROBE = ("import sys\nfrom archiver.cli import main\nmain(sys.argv[1:])\n"
         "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'redis', 'sqlalchemy'}), "
         "file=sys.stderr)")


def heavy_modules(args: list[str]) -> list[str]:
    probe = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    return list(json.loads(probe.stderr.strip().splitlines()[-1].replace("'", '"')))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():  # alternated, so that a slow spell of the machine hits all alike
            run = measure(command)
            if run.returncode != 0:
                raise SystemExit(f"{name} failed (exit {run.returncode}): {run.stderr.strip()[-500:]}")
            seconds[name].append(run.seconds)
    baseline = statistics.median(seconds["python -c pass"])
    result = {name: {"seconds": spread(values), "vs_python": statistics.median(values) / baseline,
                     **({"imports": heavy_modules(COMMANDS[name][1:])} if name != "python -c pass" else {})}
              for name, values in seconds.items()}
    json.dump({"runs": args.runs, "target_seconds": 0.3, "commands": result}, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
