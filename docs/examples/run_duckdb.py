"""Run a DuckDB SQL file statement by statement and print each result (DuckDB from PyPI, no shell needed).

    python docs/examples/run_duckdb.py docs/examples/duckdb_walkthrough.sql

Statements end with a semicolon at the end of a line; relative Parquet paths are read from the current directory.
"""

from __future__ import annotations

import sys

import duckdb


def statements(path: str) -> list[str]:
    """The file's statements without their comment lines."""
    with open(path, encoding="utf-8") as handle:
        chunks = handle.read().split(";\n")
    found = ("\n".join(line for line in chunk.splitlines() if not line.lstrip().startswith("--")) for chunk in chunks)
    return [code.strip().rstrip(";") for code in found if code.strip()]


def main(path: str) -> None:
    connection = duckdb.connect()
    for code in statements(path):
        if code.upper().startswith("SELECT"):
            connection.sql(code).show(max_width=200)
        else:
            connection.execute(code)


if __name__ == "__main__":
    main(sys.argv[1])
