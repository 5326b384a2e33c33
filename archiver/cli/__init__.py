"""Command line interface: ``archiver COMMAND``. Exit codes are documented in ``archiver --help``."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version

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


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def version_text() -> str:
    return (f"archiver {__version__} (Scrapy {_dist_version('scrapy')}, warcio {_dist_version('warcio')}, "
            f"SQLAlchemy {_dist_version('sqlalchemy')}, Python {sys.version.split()[0]})")


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(message="%(version)s", version=version_text(), prog_name="archiver")
def app() -> None:
    """Archive WordPress news sites (tarnkappe.info first) into WARC files and a research database."""


def _register() -> None:
    from . import crawl, data, replica, research, status, warc

    app.add_command(crawl.crawl)
    app.add_command(crawl.update)
    app.add_command(status.status)
    app.add_command(replica.replica)
    app.add_command(data.extract)
    app.add_command(data.db)
    app.add_command(data.export)
    app.add_command(warc.warc)
    app.add_command(warc.reparse)
    for command in (research.search, research.show, research.cite, research.stats, research.serve):
        app.add_command(command)


_register()


def main(argv: list[str] | None = None) -> int:
    """Entry point: one clear line on stderr for every error, never a stack trace for bad input."""
    try:
        result = app.main(args=argv, prog_name="archiver", standalone_mode=False)
    except click.UsageError as error:
        click.echo(f"archiver: error: {error.format_message()}", err=True)
        return EXIT_USAGE
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
