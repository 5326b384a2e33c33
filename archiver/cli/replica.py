"""``archiver replica``: the offline replica of tarnkappe.info for demos, tests and benchmarks."""

from __future__ import annotations

import json
import sys

import click

_site_options = [
    click.option("--articles", type=click.IntRange(min=10), default=300, show_default=True,
                 help="Articles at day 0."),
    click.option("--day", type=click.IntRange(min=0), default=0, show_default=True,
                 help="Site time: each day adds new articles and edits some."),
    click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated content."),
    click.option("--removed", type=click.IntRange(min=0), default=0, show_default=True,
                 help="Fault switch: this many articles taken down (answering 404, 410 or a redirect to the front "
                      "page, in turn; gone from the REST posts)."),
    click.option("--site", "kind", type=click.Choice(["tarnkappe", "wp-classic", "wp-block"]), default="tarnkappe",
                 show_default=True, help="tarnkappe.info, or a stock WordPress site (classic or block theme)."),
]


def site_options(function):  # type: ignore[no-untyped-def]
    for option in reversed(_site_options):
        function = option(function)
    return function


@click.group()
def replica() -> None:
    """The replica site: a deterministic fake tarnkappe.info served on this machine."""


@replica.command(epilog="\b\nExample:\n  archiver replica serve --port 8000 --articles 1000 --day 1")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port.")
@click.option("--robots-status", type=int, default=200, show_default=True,
              help="Fault switch: answer robots.txt with this status (e.g. 500).")
@click.option("--traps", is_flag=True, help="Fault switch: crawler traps in every article (calendars, replytocom, "
              "share and session-ID links).")
@click.option("--redesign", is_flag=True, help="Fault switch: article pages lose their author markup (byline, "
              "author box, meta author), as after a theme change.")
@site_options
def serve(host: str, port: int, robots_status: int, traps: bool, redesign: bool, articles: int, day: int,
          seed: int, removed: int, kind: str) -> int:
    """Serve the replica in the foreground; prints its base URL, stops on SIGTERM or Ctrl-C."""
    from ..replica.app import ReplicaApp
    from ..replica.server import serve as serve_forever

    serve_forever(host, port, ReplicaApp(articles=articles, day=day, seed=seed, kind=kind,
                                         robots_status=robots_status, traps=traps, redesign=redesign,
                                         removed=removed))
    return 0


@replica.command(epilog="\b\nExample:\n  archiver replica truth --base-url http://127.0.0.1:8000 -o truth.json")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True,
              help="Base URL the replica is served at (URLs in the truth use it).")
@click.option("--theme", type=click.Choice(["default", "tk-theme", "hueman"]), default="default", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-", show_default=True)
@site_options
def truth(base_url: str, theme: str, output: str, articles: int, day: int, seed: int, removed: int,
          kind: str) -> int:
    """Write the ground truth (every article's expected item fields) as JSON."""
    from ..replica.model import SiteModel
    from ..replica.truth import GroundTruth
    from ..replica.wp_site import wordpress_truth

    site = SiteModel(articles=articles, day=day, seed=seed, removed=removed)
    if kind == "tarnkappe":
        items = GroundTruth(site, base_url).all_items(None if theme == "default" else theme)
    else:
        flavour = kind.removeprefix("wp-")
        items = [wordpress_truth(site, base_url, flavour, site.article(i)) for i in range(site.count)]
    document = {"base_url": base_url, "articles": articles, "day": day, "seed": seed,
                "seed_article_post_id": site.post_id(site.seed_index),
                "edited_today": [site.post_id(i) for i in site.edited_on(day)],
                "new_today": [site.post_id(i) for i in site.new_on(day)],
                "removed": {str(site.post_id(i)): status for i, status in sorted(site.removed.items())},
                "items": items}
    text = json.dumps(document, ensure_ascii=False, indent=1)
    if output == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return 0
