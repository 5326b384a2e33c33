-- The archive in DuckDB SQL, straight from the Parquet export (no database server, no import step):
--
--   archiver export --format parquet -o articles.parquet
--   duckdb < docs/examples/duckdb_walkthrough.sql               (the DuckDB shell), or in Python:
--   python docs/examples/run_duckdb.py docs/examples/duckdb_walkthrough.sql
--
-- Nested columns are DuckDB lists of structs: unnest() gives one row per author, credit or image.
-- Times are TIMESTAMP WITH TIME ZONE; the session is set to UTC so months and years are UTC ones.
SET TimeZone = 'UTC';

-- Articles per year of publication
SELECT strftime(published, '%Y') AS year, count(*) AS articles
FROM 'articles.parquet' GROUP BY year ORDER BY year;

-- Credits by license, one row per credit of each article
SELECT coalesce(credit.license, '(none)') AS license, count(*) AS credits
FROM (SELECT unnest(credits) AS credit FROM 'articles.parquet')
GROUP BY license ORDER BY credits DESC, license;

-- Articles per category (every category of an article counts)
SELECT category.slug AS category, count(*) AS articles
FROM (SELECT unnest(categories) AS category FROM 'articles.parquet')
GROUP BY category ORDER BY articles DESC, category;

-- Where each article's archived response sits: WARC file, offset and record ID
SELECT id, capture.warc_file, capture."offset", capture.record_id
FROM 'articles.parquet' ORDER BY id LIMIT 5;
