"""The researcher's desk behind ``archiver serve`` and ``archiver stats --plot``: Datasette with the archive's views,
article pages and charts (``plugin``, ``templates/``), replay through pywb (``replay``), charts (``charts``)."""
