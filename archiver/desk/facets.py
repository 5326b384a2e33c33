"""A list facet for the desk's JSON-list columns (authors, categories, tags, licenses): ``_facet_list=COLUMN``.

Datasette's own array facet first de-duplicates the items with ``SELECT DISTINCT item, inner.*``, which computes
every column of every row of the view (each a subquery here) and compares whole rows; the lists of
``v_desk_articles`` hold no duplicates (names come from primary keys, licenses are DISTINCT), so counting the items
of the one column asked for is enough, and SQLite then computes only that column. Selecting a value uses
Datasette's ``COLUMN__arraycontains`` filter, as its array facet does.
"""

from __future__ import annotations

from typing import Any

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args


class ListFacet(Facet):  # type: ignore[misc]
    type = "list"

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        size = self.get_facet_size()
        pairs = self.get_querystring_pairs()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            sql = (f"SELECT item.value AS value, count(*) AS count FROM ({self.sql}) AS inner_rows, "
                   f"json_each(inner_rows.{escape_sqlite(column)}) AS item GROUP BY item.value "
                   f"ORDER BY count(*) DESC, item.value LIMIT {size + 1}")
            try:
                rows = await self.ds.execute(self.database, sql, self.params, truncate=False,
                                             custom_time_limit=self.ds.setting("facet_time_limit_ms"))
            except QueryInterrupted:
                timed_out.append(column)
                continue
            values = []
            for row in rows.rows[:size]:
                value = str(row["value"])
                argument = {f"{column}__arraycontains": value}
                selected = (f"{column}__arraycontains", value) in pairs
                path = (path_with_removed_args(self.request, argument) if selected
                        else path_with_added_args(self.request, argument))
                values.append({"value": value, "label": value, "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, path), "selected": selected})
            results.append({
                "name": column, "type": self.type, "results": values, "hideable": source != "metadata",
                "toggle_url": self.ds.absolute_url(self.request, path_with_removed_args(
                    self.request, {"_facet_list": column})),
                "truncated": len(rows.rows) > size})
        return results, timed_out
