"""Every command is documented: an example in its --help, a row in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from archiver.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def leaf_commands(group: click.Group, prefix: str = "archiver") -> list[tuple[str, click.Command]]:
    found = []
    context = click.Context(group)
    # list_commands/get_command, not .commands: the top-level group imports its commands when asked.
    for name in sorted(group.list_commands(context)):
        command = group.get_command(context, name)
        assert command is not None
        if isinstance(command, click.Group):
            found.extend(leaf_commands(command, f"{prefix} {name}"))
        else:
            found.append((f"{prefix} {name}", command))
    return found


@pytest.mark.parametrize(("name", "command"), leaf_commands(app))
def test_command_has_an_example_and_a_readme_entry(name: str, command: click.Command) -> None:
    assert "Example" in (command.epilog or ""), f"{name} --help has no example"
    assert f"`{name}" in README, f"{name} is not documented in the README"
