"""Article export rows rendered by the database: one query per export, each row already its JSONL line or its
CSV cells, nested fields included, in the exact bytes the Python writers give (``json.dumps`` with sorted keys and
its ``", "`` / ``": "`` separators, ``ensure_ascii=False``; docs/schema.md).

Building an item dict per row and encoding it in Python cost most of an article export; here SQLite and
PostgreSQL build the text in C, related rows in correlated subqueries over their ``version_id`` indexes. Strings
are quoted by the database's JSON quoting (SQLite ``json_quote``, PostgreSQL ``to_json``), which escapes the same
characters as Python's encoder, in the same spelling. A row SQL cannot render exactly (a JSON column holding
something else than strings) is marked and rendered in Python from the item (`reader.version_item`).
tests/test_export_pinned.py holds the bytes to an independent reading.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

# (key, kind, expression) in the item's key order (reader._assemble, docs/schema.md); kinds: text, int, bool,
# date, and json for a fragment built here (never NULL unless the value is null).
Field = tuple[str, str, str]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Dialect:
    sqlite: bool
    # For Parquet: the field-source map as key/value entries in stored order (pyarrow's JSON reader has no maps).
    map_entries: bool = False
    # PostgreSQL: the relation aggregates the row's expressions read (LEFT JOINs on v.id), filled by fields().
    joins: list[str] = field(default_factory=list)

    def quote(self, expr: str) -> str:
        """A text or integer column as JSON: a quoted string, a number or null."""
        return f"json_quote({expr})" if self.sqlite else f"coalesce(to_json({expr})::text, 'null')"

    def json(self, kind: str, expr: str) -> str:
        if kind in ("text", "int"):
            return self.quote(expr)
        if kind == "bool":
            return f"CASE WHEN {expr} THEN 'true' ELSE 'false' END"
        if kind == "date":
            return f"CASE WHEN {expr} IS NULL THEN 'null' ELSE '\"' || {self.iso(expr)} || '\"' END"
        return expr

    def iso(self, expr: str) -> str:
        """A date as ISO 8601 UTC text with a Z (reader.iso_column): SQLite's UTC text sliced where it has
        SQLAlchemy's layout, else parsed."""
        if not self.sqlite:
            return f"to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        return (f"CASE WHEN length({expr}) >= 19 AND substr({expr}, 11, 1) = ' ' AND substr({expr}, 5, 1) = '-' "
                f"AND substr({expr}, 14, 1) = ':' THEN substr({expr}, 1, 10) || 'T' || substr({expr}, 12, 8) || 'Z' "
                f"ELSE strftime('%Y-%m-%dT%H:%M:%SZ', {expr}) END")

    def concat(self, template: str, args: list[str]) -> str:
        """`template` with each ``%s`` replaced by an argument, in one pass (``||`` copies the text each time)."""
        return f"{'printf' if self.sqlite else 'format'}('{template}', {', '.join(args)})"

    def obj(self, pairs: list[tuple[str, str, str]], sort: bool = True) -> str:
        """A JSON object of (key, kind, expression), keys sorted as ``sort_keys`` sorts them."""
        ordered = sorted(pairs) if sort else pairs
        template = "{" + ", ".join(f"{json.dumps(key, ensure_ascii=False)}: %s" for key, _, _ in ordered) + "}"
        return self.concat(template.replace("'", "''"), [self.json(kind, expr) for _, kind, expr in ordered])

    def array(self, item: str, tables: str, order: str, where: str = "") -> str:
        """A JSON array of `item` over the version's rows of `tables` (alias ``x``) in `order`; ``[]`` for none."""
        if self.sqlite:
            # An aggregate over an ordered subquery takes its rows in that order (the subquery is not flattened).
            return (f"coalesce((SELECT '[' || group_concat(j, ', ') || ']' FROM (SELECT {item} AS j {tables} "
                    f"WHERE x.version_id = v.id {where} ORDER BY {order})), '[]')")
        return "coalesce(" + self._joined(f"'[' || string_agg({item}, ', ' ORDER BY {order}) || ']'", tables,
                                          where, "GROUP BY x.version_id") + ", '[]')"

    def first(self, item: str, tables: str, order: str, where: str = "") -> str:
        """The version's first row of `tables` in `order` as `item`, NULL for none."""
        if self.sqlite:
            return f"(SELECT {item} {tables} WHERE x.version_id = v.id {where} ORDER BY {order} LIMIT 1)"
        return self._joined(item, tables, where, f"ORDER BY x.version_id, {order}", "DISTINCT ON (x.version_id) ")

    def _joined(self, value: str, tables: str, where: str, tail: str, distinct: str = "") -> str:
        """PostgreSQL: the chunk's rows of a relation aggregated once (a join), not a subquery per version."""
        name = f"r{len(self.joins)}"
        self.joins.append(f"LEFT JOIN (SELECT {distinct}x.version_id, {value} AS j {tables} WHERE x.version_id = "
                          f"ANY(:ids) {where} {tail}) {name} ON {name}.version_id = v.id")
        return f"{name}.j"

    def image_credit(self, credit: str) -> tuple[str, str]:
        """An image's credit, the version's first credit naming the image's URL (reader._relations): the
        expression, and for PostgreSQL the join the images' aggregate takes."""
        if self.sqlite:
            return (f"(SELECT {credit} FROM credits cr WHERE cr.version_id = x.version_id AND cr.applies_to = im.url "
                    "ORDER BY cr.position LIMIT 1)", "")
        return "ic.j", (f"LEFT JOIN (SELECT DISTINCT ON (cr.version_id, cr.applies_to) cr.version_id, cr.applies_to, "
                        f"{credit} AS j FROM credits cr WHERE cr.version_id = ANY(:ids) ORDER BY cr.version_id, "
                        "cr.applies_to, cr.position) ic ON ic.version_id = x.version_id AND ic.applies_to = im.url")

    def strings(self, column: str) -> str:
        """A JSON column holding a list of strings, or null for ``[]``; NULL (Python renders the row) if an
        element is not a string."""
        if self.sqlite:
            return (f"CASE WHEN json_type({column}) = 'array' THEN (SELECT CASE WHEN count(*) = count(j) THEN "
                    f"coalesce('[' || group_concat(j, ', ') || ']', '[]') END FROM (SELECT CASE WHEN type = 'text' "
                    f"THEN json_quote(value) END AS j FROM json_each({column}))) ELSE '[]' END")
        return (f"CASE WHEN json_typeof({column}) = 'array' THEN (SELECT CASE WHEN count(*) = count(j) THEN "
                f"coalesce('[' || string_agg(j, ', ' ORDER BY n) || ']', '[]') END FROM "
                f"(SELECT CASE WHEN json_typeof(e) = 'string' THEN to_json(e #>> '{{}}')::text END AS j, n "
                f"FROM json_array_elements({column}) WITH ORDINALITY x(e, n)) q) ELSE '[]' END")

    def string_map(self, column: str) -> str:
        """A JSON column holding an object of strings, keys sorted (or, for Parquet, as key/value entries in
        stored order); ``{}`` for null; NULL (Python renders the row) if a value is not a string."""
        if self.map_entries:
            entry, empty, close = "'{{\"key\": ' || {k} || ', \"value\": ' || {v} || '}}'", "[]", ("[", "]")
        else:
            entry, empty, close = "{k} || ': ' || {v}", "{}", ("{", "}")
        if self.sqlite:
            item = entry.format(k="json_quote(key)", v="json_quote(value)")
            order = "" if self.map_entries else " ORDER BY key"
            return (f"CASE WHEN json_type({column}) = 'object' THEN (SELECT CASE WHEN count(*) = count(j) THEN "
                    f"coalesce('{close[0]}' || group_concat(j, ', ') || '{close[1]}', '{empty}') END FROM "
                    f"(SELECT CASE WHEN type = 'text' THEN {item} END AS j FROM json_each({column}){order})) "
                    f"ELSE '{empty}' END")
        item = entry.format(k="to_json(key)::text", v="to_json(value #>> '{}')::text")
        order = "n" if self.map_entries else 'key COLLATE "C"'
        return (f"CASE WHEN json_typeof({column}) = 'object' THEN (SELECT CASE WHEN count(*) = count(j) THEN "
                f"coalesce('{close[0]}' || string_agg(j, ', ' ORDER BY {order}) || '{close[1]}', '{empty}') END "
                f"FROM (SELECT CASE WHEN json_typeof(value) = 'string' THEN {item} END AS j, key, n "
                f"FROM json_each({column}) WITH ORDINALITY x(key, value, n)) q) ELSE '{empty}' END")


def fields(d: Dialect) -> list[Field]:
    """The article row's fields as SQL over ``articles a``, ``sites s``, ``article_versions v``, ``captures c``."""
    author = d.obj([("name", "text", "au.name"), ("url", "text", "au.url"),
                    ("site_author_id", "int", "au.site_author_id"), ("bio", "text", "au.bio"),
                    ("avatar_url", "text", "au.avatar_url"), ("forum_url", "text", "au.forum_url"),
                    ("is_organization", "bool", "au.is_organization")])
    category = d.obj([("name", "text", "c2.name"), ("slug", "text", "c2.slug"), ("url", "text", "c2.url"),
                      ("parent", "text", "p.slug")])
    categories = ("FROM article_categories x JOIN categories c2 ON c2.id = x.category_id "
                  "LEFT JOIN categories p ON p.id = c2.parent_id")

    def credit(alias: str) -> str:
        return d.obj([(name, "text", f"{alias}.{name}") for name in
                      ("raw", "creator", "license", "license_url", "source_url", "applies_to")])
    image_credit, credit_join = d.image_credit(credit("cr"))
    image = d.obj([("url", "text", "im.url"), ("alt", "text", "x.alt"), ("caption", "text", "x.caption"),
                   ("width", "int", "x.width"), ("height", "int", "x.height"), ("is_lead", "bool", "x.is_lead"),
                   ("credit", "json", f"coalesce({image_credit}, 'null')")])
    links = d.obj([(kind, "json", d.array(d.quote("x.url"), "FROM links x", "x.position", f"AND x.kind = '{kind}'"))
                   for kind in ("internal", "external")])
    capture = ("CASE WHEN c.id IS NULL THEN NULL ELSE " + d.obj([
        ("warc_file", "text", "c.warc_file"), ("offset", "int", "c.warc_offset"), ("length", "int", "c.warc_length"),
        ("record_id", "text", "c.record_id"), ("payload_digest", "text", "c.payload_digest"),
        ("fetched_at", "date", "c.fetched_at"), ("url", "text", "c.url")]) + " END")
    return [
        ("id", "int", "a.id"), ("version", "int", "v.version"), ("versions", "int", "a.version_count"),
        ("url", "text", "a.url"), ("post_id", "int", "a.post_id"), ("site", "text", "s.host"),
        ("layout", "text", "v.layout"), ("title", "text", "v.title"), ("lead", "text", "v.lead"),
        ("text", "text", "v.text"), ("published", "date", "v.published"),
        ("published_raw", "text", "v.published_raw"), ("modified", "date", "v.modified"),
        ("modified_raw", "text", "v.modified_raw"), ("language", "text", "v.language"),
        ("word_count", "int", "v.word_count"), ("reading_time_minutes", "int", "v.reading_time_minutes"),
        ("authors", "json", d.array(author, "FROM article_authors x JOIN authors au ON au.id = x.author_id",
                                    "x.position")),
        ("primary_category", "json", d.first(category, categories, "x.position", "AND x.is_primary")),
        ("categories", "json", d.array(category, categories, "x.position")),
        ("tags", "json", d.array(d.obj([("name", "text", "t.name"), ("slug", "text", "t.slug"),
                                        ("url", "text", "t.url")]),
                                 "FROM article_tags x JOIN tags t ON t.id = x.tag_id", "x.position")),
        ("images", "json", d.array(image, f"FROM article_images x JOIN images im ON im.id = x.image_id {credit_join}",
                                   "x.position")),
        ("credits", "json", d.array(credit("x"), "FROM credits x", "x.position")),
        ("comments_url", "text", "v.comments_url"), ("links", "json", links),
        ("breadcrumb", "json", d.strings("v.breadcrumb")), ("warnings", "json", d.strings("v.warnings")),
        ("captured_at", "date", "v.captured_at"), ("extractor", "text", "v.extractor"),
        ("field_sources", "json", d.string_map("v.field_sources")), ("capture", "json", capture),
        # The article's state now (not this version's): null while it is live.
        ("removed_at", "date", "a.removed_at"), ("removed_status", "text", "a.removed_status"),
    ]


KEYS = [key for key, _, _ in fields(Dialect(sqlite=True))]
NULLABLE = ("primary_category", "capture")
# The fragments SQL leaves NULL where Python must render the row (Dialect.strings, Dialect.string_map).
CHECKED = ("breadcrumb", "warnings", "field_sources")


# In a JSON line where Python must render the row (printf and format() write NULL as nothing): a control
# character, which a rendered line never holds unescaped.
UNRENDERED = "\x01"


def jsonl_line(d: Dialect) -> str:
    """One expression: the row's JSON line (no newline), holding UNRENDERED if Python must render it."""
    mark = "char(1)" if d.sqlite else "chr(1)"
    return d.obj([(key, kind, f"coalesce({expr}, 'null')" if key in NULLABLE else
                   f"coalesce({expr}, {mark})" if key in CHECKED else expr) for key, kind, expr in fields(d)])


def csv_cells(d: Dialect) -> list[str]:
    """One expression per CSV cell, in the item's key order: text neutralized against spreadsheet formulas
    (exporters.neutralize), NULL for an empty cell, nested fields as their JSON text (UNRENDERED where Python
    must render the row)."""
    prefixes = ", ".join(f"char({ord(p)})" if p in "\t\r" else f"'{p}'" for p in FORMULA_PREFIXES)
    if not d.sqlite:
        prefixes = prefixes.replace("char(", "chr(")

    def neutral(expr: str) -> str:
        return f"CASE WHEN substr({expr}, 1, 1) IN ({prefixes}) THEN '''' || {expr} ELSE {expr} END"

    mark = "char(1)" if d.sqlite else "chr(1)"
    cells: dict[str, Callable[[str], str]] = {
        "text": neutral, "int": lambda e: neutral(f"CAST({e} AS TEXT)"), "bool": lambda e: d.json("bool", e),
        "date": d.iso, "json": lambda e: e}
    return [f"coalesce({expr}, {mark})" if key in CHECKED else cells[kind](expr) for key, kind, expr in fields(d)]


def csv_line(d: Dialect, cells: list[str]) -> str:
    """The CSV line (no line end) of the columns named `cells` as Python's csv.writer writes it: a cell holding
    a comma, a quote or a line break quoted, its quotes doubled; an empty cell (NULL) empty. Each name is read
    several times: the caller materializes the cells, so no rendering runs again."""
    find = "instr" if d.sqlite else "strpos"
    breaks = ("char(10)", "char(13)") if d.sqlite else ("chr(10)", "chr(13)")

    def quoted(cell: str) -> str:
        needs = " OR ".join(f"{find}({cell}, {c}) > 0" for c in ("','", "'\"'", *breaks))
        return f"CASE WHEN {needs} THEN '\"' || replace({cell}, '\"', '\"\"') || '\"' ELSE {cell} END"
    return d.concat(",".join("%s" for _ in cells), [quoted(cell) for cell in cells])
