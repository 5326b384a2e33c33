"""Citations of one archived article version that find the exact archived response again.

Every format carries the capture time, the WARC file, offset, record ID and payload digest of the response the
version was extracted from, and its replay address (archiver.replay: absolute where a public base URL is
configured). The key is stable: the site's name and the WordPress post ID, and the version
(``tarnkappe-311235-v2``); a site without a DNS name (an IP address, ``localhost``) is named by its row in
``sites`` (``site1-…``), never by its address. docs/schema.md describes each format.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .exceptions import ConfigurationError
from .replay import replay_address

if TYPE_CHECKING:
    from sqlalchemy import Engine

FORMATS = ("text", "bibtex", "json", "ris", "csl-json")


@dataclass(frozen=True)
class Citation:
    key: str
    title: str
    authors: list[str]
    organizations: list[bool]  # per author: an agency or newsroom, cited as one name
    site: str
    url: str
    published: str | None
    version: int
    versions: int
    captured_at: str
    warc_file: str | None
    warc_offset: int | None
    warc_record_id: str | None
    payload_digest: str | None
    replay: str

    @property
    def archive_note(self) -> str:
        return (f"Archived {self.captured_at} (version {self.version} of {self.versions}): WARC file "
                f"{self.warc_file}, offset {self.warc_offset}, record {self.warc_record_id}, payload digest "
                f"{self.payload_digest}; replay {self.replay}")


def site_label(host: str, site_id: int | None) -> str:
    """``tarnkappe`` for tarnkappe.info or www.tarnkappe.info; ``site<N>`` for a host without a DNS name."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.strip("[]")
    try:
        ipaddress.ip_address(name)
        numeric = True
    except ValueError:
        numeric = name == "localhost" or "." not in name
    if numeric:
        return f"site{site_id}" if site_id is not None else "site"
    labels = name.lower().removeprefix("www.").split(".")
    return re.sub(r"[^a-z0-9]+", "", labels[-2] if len(labels) >= 2 else labels[0]) or "site"


def citation(row: dict[str, Any], site_id: int | None, public_url: str | None = None) -> Citation:
    """The citation of one version in the item shape (archiver.storage.reader)."""
    capture = row.get("capture") or {}
    captured_at = capture.get("fetched_at") or row["captured_at"]
    identifier = f"{row['post_id']}" if row.get("post_id") is not None else f"a{row['id']}"
    return Citation(
        key=f"{site_label(row['site'], site_id)}-{identifier}-v{row['version']}", title=row["title"],
        authors=[a["name"] for a in row["authors"]], organizations=[bool(a["is_organization"]) for a in row["authors"]],
        site=row["site"], url=row["url"], published=row["published"], version=row["version"],
        versions=row["versions"], captured_at=captured_at, warc_file=capture.get("warc_file"),
        warc_offset=capture.get("offset"), warc_record_id=capture.get("record_id"),
        payload_digest=capture.get("payload_digest"),
        replay=replay_address(capture.get("url") or row["url"], captured_at, public_url))


BIBTEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                   "{": r"\textbraceleft{}",
                   "}": r"\textbraceright{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
BIBTEX_SPECIAL = re.compile("|".join(re.escape(char) for char in BIBTEX_SPECIALS))


def bibtex_escape(value: str) -> str:
    """LaTeX's ten special characters written as commands, so the text prints as it reads. Braces become
    \\textbraceleft{} and \\textbraceright{}: BibTeX counts a brace even after a backslash, so a lone one would
    end the field."""
    return BIBTEX_SPECIAL.sub(lambda match: BIBTEX_SPECIALS[match.group(0)], value)


def _bibtex_name(name: str, organization: bool) -> str:
    # Braces keep an agency's name whole; "and" inside a name would otherwise split it into two authors.
    escaped = bibtex_escape(name)
    return f"{{{escaped}}}" if organization or " and " in name or "," in name else escaped


def to_bibtex(c: Citation) -> str:
    """biblatex ``@online``; url stays verbatim (biblatex reads it so), every other field is escaped."""
    fields = [("title", f"{{{bibtex_escape(c.title)}}}"),  # inner braces keep the title's capitals
              ("author", " and ".join(_bibtex_name(n, o) for n, o in zip(c.authors, c.organizations, strict=True))),
              ("date", (c.published or "")[:10]), ("url", c.url), ("urldate", c.captured_at[:10]),
              ("organization", bibtex_escape(c.site)), ("version", str(c.version)),
              ("note", bibtex_escape(c.archive_note))]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@online{{{c.key},\n{body}\n}}"


def to_ris(c: Citation) -> str:
    """RIS ``ELEC``: one tag per line, ``ER`` last; the WARC record ID as accession number (AN), its file as
    database (DB), the replay address in M1 and the whole archive note in N1."""
    lines = [("TY", "ELEC"), ("ID", c.key), ("TI", c.title), *(("AU", name) for name in c.authors),
             ("DA", (c.published or "")[:10].replace("-", "/")), ("PY", (c.published or "")[:4]),
             ("T2", c.site), ("UR", c.url), ("Y2", c.captured_at[:10].replace("-", "/")), ("ET", str(c.version)),
             ("AN", c.warc_record_id or ""), ("DB", c.warc_file or ""), ("M1", c.replay), ("N1", c.archive_note),
             ("ER", "")]
    return "\n".join(f"{tag}  - {value}".rstrip() for tag, value in lines if value or tag == "ER") + "\n"


def _date_parts(iso: str | None) -> dict[str, Any] | None:
    if not iso:
        return None
    return {"date-parts": [[int(iso[:4]), int(iso[5:7]), int(iso[8:10])]]}


def to_csl_json(c: Citation) -> str:
    """A CSL-JSON list with one ``webpage`` item; names as printed (``literal``), never split guessingly."""
    item: dict[str, Any] = {
        "id": c.key, "type": "webpage", "title": c.title, "author": [{"literal": name} for name in c.authors],
        "container-title": c.site, "URL": c.url, "issued": _date_parts(c.published),
        "accessed": _date_parts(c.captured_at), "version": str(c.version), "archive": "WARC",
        "archive_location": f"{c.warc_file}@{c.warc_offset} {c.warc_record_id}", "note": c.archive_note,
    }
    return json.dumps([{k: v for k, v in item.items() if v is not None}], ensure_ascii=False, indent=2)


def to_text(c: Citation) -> str:
    date = (c.published or "")[:10] or "n.d."
    return f"{', '.join(c.authors) or c.site}: {c.title}. {c.site}, {date}. {c.url} ({c.archive_note})"


def render(c: Citation, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({**asdict(c), "archive_note": c.archive_note}, ensure_ascii=False)
    return {"text": to_text, "bibtex": to_bibtex, "ris": to_ris, "csl-json": to_csl_json}[fmt](c)


def load_citation(engine: Engine, reference: str, version: int | None = None,
                  public_url: str | None = None) -> Citation:
    """The citation of an article (ID, post ID or URL, as archiver.storage.queries.find_article reads it) at
    `version` (1 = first capture), the current version by default."""
    from sqlalchemy import text

    from .storage.queries import article_versions, find_article

    article_id = find_article(engine, reference)
    versions = article_versions(engine, article_id)
    if version is None:
        row = versions[-1]
    else:
        found = [v for v in versions if v["version"] == version]
        if not found:
            raise ConfigurationError(f"article {reference} has versions 1 to {len(versions)}, not {version}")
        row = found[0]
    with engine.connect() as conn:
        site_id = conn.execute(text("SELECT site_id FROM articles WHERE id = :a"), {"a": article_id}).scalar()
    return citation(row, site_id, public_url)
