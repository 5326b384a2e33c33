"""Command line interface: ``archiver COMMAND``. Exit codes are documented in ``archiver --help``.

The commands live in their own modules and are imported only when called (``--help`` imports their
light modules for the one-line help, but none of them imports Scrapy, Twisted, Redis or SQLAlchemy at
the top): a researcher's ``search`` must not wait for the crawler's libraries to load.
"""

from __future__ import annotations

import importlib
import sys

import click

from .. import __version__
from ..exceptions import ArchiverError, ConfigurationError, RunLocked

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_QUALITY, EXIT_LOCKED = 0, 1, 2, 3, 75

EPILOG = """\b
Exit codes: 0 ok · 1 crawl failed · 2 usage or configuration error ·
3 finished but a quality gate failed · 75 another run holds the archive lock.
\b
Examples:
  archiver replica serve --port 8000 &
  archiver crawl tarnkappe --base-url http://127.0.0.1:8000
  archiver export --format jsonl -o articles.jsonl
"""

# Command name -> (module in this package, attribute).
COMMANDS: dict[str, tuple[str, str]] = {
    "crawl": ("crawl", "crawl"), "update": ("crawl", "update"), "status": ("status", "status"),
    "replica": ("replica", "replica"), "extract": ("data", "extract"), "db": ("data", "db"),
    "export": ("data", "export"), "warc": ("warc", "warc"), "reparse": ("warc", "reparse"),
    "reextract": ("warc", "reextract"),
    "search": ("research", "search"), "show": ("research", "show"), "cite": ("research", "cite"),
    "stats": ("desk", "stats"), "serve": ("desk", "serve"),
}


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def version_text() -> str:
    return (f"archiver {__version__} (Scrapy {_dist_version('scrapy')}, warcio {_dist_version('warcio')}, "
            f"SQLAlchemy {_dist_version('sqlalchemy')}, Python {sys.version.split()[0]})")


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    # Read from the installed distributions only when asked: that scan costs every other command time.
    if value and not ctx.resilient_parsing:
        click.echo(version_text())
        ctx.exit()


class LazyGroup(click.Group):
    """A group whose commands are imported from their modules when they are looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, epilog=EPILOG, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the versions of archiver, Scrapy, warcio, SQLAlchemy and Python, and exit.")
@click.pass_context
def app(ctx: click.Context) -> int:
    """Archive WordPress news sites (tarnkappe.info first) into WARC files and a research database."""
    if ctx.invoked_subcommand is None:  # a bare `archiver` (or `python -m archiver`) shows what it can do
        click.echo(ctx.get_help())
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point: one clear line on stderr for every error, never a stack trace for bad input."""
    try:
        result = app.main(args=argv, prog_name="archiver", standalone_mode=False)
    except click.ClickException as error:
        click.echo(f"archiver: error: {error.format_message()}", err=True)
        return EXIT_USAGE
    except click.Abort:
        click.echo("archiver: aborted", err=True)
        return EXIT_FAILED
    except RunLocked as error:
        click.echo(f"archiver: {error}", err=True)
        return EXIT_LOCKED
    except ConfigurationError as error:
        click.echo(f"archiver: error: {error}", err=True)
        return EXIT_USAGE
    except ArchiverError as error:
        click.echo(f"archiver: error: {error}", err=True)
        return EXIT_FAILED
    # Commands return their exit code; --help and --version return 0 through click.
    return result if isinstance(result, int) else EXIT_OK


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
