"""``archiver status``: what a distributed run is doing right now (queue, fingerprints, workers)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ..crawl.distributed.coordinator import RunStatus

EXAMPLE = ("\b\nExample (while workers run; refresh with watch):\n"
           "  watch -n 5 archiver status --redis-url redis://127.0.0.1:6379/0")


@click.command(epilog=EXAMPLE)
@click.option("--redis-url", envvar="ARCHIVER_REDIS_URL", required=True,
              help="Redis of the distributed runs [env ARCHIVER_REDIS_URL].")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(redis_url: str, as_json: bool) -> int:
    """Queue length, seen requests, live and dead workers with their progress, per distributed run."""
    from ..crawl.distributed.coordinator import connect, run_status

    client = connect(redis_url)
    runs = run_status(client)
    client.close()
    if as_json:
        click.echo(json.dumps({"runs": [run.as_dict() for run in runs]}))
        return 0
    if not runs:
        click.echo("no distributed run in progress")
        return 0
    for run in runs:
        click.echo(_format(run))
    return 0


def _format(run: RunStatus) -> str:
    alive = [w for w in run.workers if w.alive]
    lines = [f"run {run.run_id}: {run.spider} on {run.host}, started {run.started}",
             f"  queue {run.queued} requests · seen {run.seen} · {run.responses} responses · "
             f"leased {sum(w.leases for w in run.workers)} · "
             f"seeding {run.seeding} · workers {len(alive)} alive, {len(run.workers) - len(alive)} dead"]
    for worker in run.workers:
        p: dict[str, Any] = worker.progress
        state = p.get("state", "?") if worker.alive else "DEAD (its leases return to the queue)"
        lines.append(f"  {worker.worker:<28} {state:<10} responses {p.get('responses', '-'):>7} "
                     f"articles {p.get('articles', '-'):>6} leased {worker.leases:>4} last beat {p.get('beat', '-')}")
    return "\n".join(lines)
