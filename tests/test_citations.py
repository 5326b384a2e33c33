"""Citations read back by real parsers: BibTeX (bibtexparser + pylatexenc), RIS (rispy), CSL-JSON (citeproc-py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from archiver.citations import citation, render, site_label

# Every character LaTeX treats specially, in a title, an author and the site name.
NASTY = r"50% & $3 #1 a_b {x} ~y^z \o/ }{ {"
ROW: dict[str, Any] = {
    "id": 7, "post_id": 311235, "version": 2, "versions": 3, "site": "www.tarnkappe.info",
    "url": "https://tarnkappe.info/artikel/x-311235.html", "title": NASTY, "published": "2019-03-14T13:21:07Z",
    "captured_at": "2026-12-01T08:00:00Z",
    "authors": [{"name": "Lars Sobiraj", "is_organization": False}, {"name": "Dow & Jones", "is_organization": True}],
    "capture": {"warc_file": "archiver-1.warc.gz", "offset": 1234, "record_id": "<urn:uuid:0000-1>",
                "payload_digest": "sha1:ABCDEF", "fetched_at": "2026-12-01T08:00:01Z",
                "url": "https://tarnkappe.info/artikel/x-311235.html"},
}
ARCHIVED = ["archiver-1.warc.gz", "1234", "<urn:uuid:0000-1>", "sha1:ABCDEF", "2026-12-01T08:00:01Z",
            "https://archive.example.org/replay/20261201080001/https://tarnkappe.info/artikel/x-311235.html"]


def cited() -> Any:
    return citation(ROW, site_id=1, public_url="https://archive.example.org/")


def test_the_key_names_site_post_and_version() -> None:
    assert cited().key == "tarnkappe-311235-v2"
    assert site_label("127.0.0.1:8000", 3) == "site3" and site_label("[::1]:80", 2) == "site2"
    assert site_label("news.example.co", 1) == "example" and site_label("localhost:8000", 4) == "site4"


def test_bibtex_escapes_and_round_trips() -> None:
    pytest.importorskip("bibtexparser")
    from bibtexparser.bparser import BibTexParser
    from pylatexenc import latex2text

    text = render(cited(), "bibtex")
    entries = BibTexParser(common_strings=False, ignore_nonstandard_types=False).parse(text).entries
    assert len(entries) == 1 and entries[0]["ID"] == "tarnkappe-311235-v2" and entries[0]["ENTRYTYPE"] == "online"
    # LaTeX's \textbraceleft and \textbraceright, which pylatexenc's default context lacks.
    context = latex2text.get_default_latex_context_db()
    context.add_context_category("text-braces", prepend=True, macros=[
        latex2text.MacroTextSpec("textbraceleft", simplify_repl="{"),
        latex2text.MacroTextSpec("textbraceright", simplify_repl="}")])
    decode = latex2text.LatexNodes2Text(latex_context=context).latex_to_text
    # pylatexenc renders \textasciicircum as the modifier letter circumflex (U+02C6).
    assert decode(entries[0]["title"]).replace("\u02c6", "^") == NASTY
    # LaTeX would read a bare one as an alignment tab, comment, math shift, parameter or subscript.
    assert not re.search(r"(?<!\\)[&%$#_]", entries[0]["title"])
    authors = [decode(name.strip()) for name in entries[0]["author"].split(" and ")]
    assert authors == ["Lars Sobiraj", "Dow & Jones"]
    assert entries[0]["url"] == ROW["url"] and entries[0]["date"] == "2019-03-14"
    note = decode(entries[0]["note"])
    assert all(value in note for value in ARCHIVED), note


def test_ris_reads_back() -> None:
    rispy = pytest.importorskip("rispy")
    [entry] = rispy.loads(render(cited(), "ris"))
    assert entry["type_of_reference"] == "ELEC" and entry["title"] == NASTY
    assert entry["authors"] == ["Lars Sobiraj", "Dow & Jones"] and entry["urls"] == [ROW["url"]]
    assert entry["accession_number"] == "<urn:uuid:0000-1>" and entry["name_of_database"] == "archiver-1.warc.gz"
    assert all(value in entry["notes"][0] for value in ARCHIVED)
    assert entry["date"] == "2019/03/14" and entry["access_date"] == "2026/12/01"


def test_csl_json_renders_with_a_csl_style() -> None:
    pytest.importorskip("citeproc")
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    items = json.loads(render(cited(), "csl-json"))
    assert all(value in items[0]["note"] for value in ARCHIVED)
    source = CiteProcJSON(items)
    bibliography = CitationStylesBibliography(CitationStylesStyle("harvard-cite-them-right", validate=True),
                                              source, formatter.plain)
    bibliography.register(Citation([CitationItem("tarnkappe-311235-v2")]))
    [entry] = [str(item) for item in bibliography.bibliography()]
    assert "2019" in entry and NASTY in entry and ROW["url"] in entry and "Lars Sobiraj" in entry


def test_text_and_json_carry_the_archived_record() -> None:
    for fmt in ("text", "json"):
        assert all(value in render(cited(), fmt) for value in ARCHIVED), fmt
    data = json.loads(render(cited(), "json"))
    assert data["warc_offset"] == 1234 and data["version"] == 2 and data["key"] == "tarnkappe-311235-v2"
