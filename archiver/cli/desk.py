"""The researcher's desk: ``serve`` (Datasette, charts, replay) and ``stats`` (text, JSON or a plotted report)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .options import DB_OPTION, archive_engine


def stats_lines(report: dict[str, Any]) -> list[str]:
    """The statistics as text: one count per line; runs with ISO 8601 UTC times."""
    lines = []
    for name, values in report.items():
        lines.append(name.replace("_", " ") + ":")
        if name == "last_runs":
            for run in values:
                lines.append(f"  run {run['id']}: {run['mode']} {run['spider']}, started {run['started_at']}, "
                             f"finished {run['finished_at'] or '-'} ({run['finish_reason'] or 'unfinished'})")
        else:
            lines += [f"  {key}: {count}" for key, count in values.items()]
    return lines


@click.command(epilog="\b\nExamples:\n  archiver stats --json | jq .credits_by_license\n"
                      "  archiver stats --plot report.svg   # the charts of archiver serve, for a report\n"
                      "  archiver stats --recount           # count again from the rows, repair the kept rows")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True)
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw the charts into this .svg or .png file (needs matplotlib: archiver[plot]).")
@click.option("--recount", is_flag=True,
              help="Count everything again from the rows and store it, and write the desk's rows again (both are "
                   "kept by every write; this repairs them after a manual edit or a bulk load); says on stderr which "
                   "counts differed.")
def stats(db_url: str | None, as_json: bool, plot: Path | None, recount: bool) -> int:
    """Articles per year and category, authors by article count, credits by license, captures, versions,
    removals per month, runs."""
    from ..storage.queries import archive_statistics

    if recount:
        from ..locations import resolve_db_url
        from ..storage.counts import refresh_counts
        from ..storage.db import make_engine

        writer = make_engine(resolve_db_url(db_url))
        differed = refresh_counts(writer)
        writer.dispose()
        click.echo(f"recounted: {len(differed)} counts differed" + "".join(
            f"\n  {name}: kept {value['stored']}, counted {value['counted']}" for name, value in differed.items()),
            err=True)
    engine = archive_engine(db_url)
    if plot is not None:
        from ..desk.charts import plot_report
        from ..storage.timeline import read_timeline

        plot_report(read_timeline(engine), plot)
    report = archive_statistics(engine)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
    else:
        click.echo("\n".join(stats_lines(report)))
    return 0


@click.command(epilog="\b\nExamples:\n  archiver serve --port 8001   # then open http://127.0.0.1:8001/\n"
                      "  ARCHIVER_PUBLIC_URL=https://archive.example.org archiver serve --host 0.0.0.0")
@DB_OPTION
@click.option("--warc-dir", envvar="ARCHIVER_WARC_DIR", help="WARC directory replayed [default archive/warc].")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.option("--no-replay", is_flag=True, help="Do not start pywb (no /replay/… pages).")
def serve(db_url: str | None, warc_dir: str | None, host: str, port: int, no_replay: bool) -> int:
    """Browse the SQLite archive: newest articles with facets and search, article pages with every version,
    charts, and the archived pages replayed from the WARC files (pywb). Read-only."""
    from ..desk.server import DeskOptions, check_database
    from ..desk.server import serve as run
    from ..locations import resolve_db_url, resolve_warc_dir

    url = resolve_db_url(db_url)
    options = DeskOptions(database=check_database(url), warc_dir=Path(resolve_warc_dir(warc_dir)), host=host,
                          port=port, replay=not no_replay)
    run(options, url, say=lambda line: click.echo(line, err=True))
    return 0
