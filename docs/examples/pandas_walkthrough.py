"""The archive in pandas: load the Parquet export, count articles per month and credits by license, plot.

    archiver export --format parquet -o articles.parquet
    python docs/examples/pandas_walkthrough.py articles.parquet articles-per-month.png

Nested columns arrive as Python lists of dicts (authors, categories, tags, images, credits) and dicts
(capture, primary_category): no json.loads. Times are UTC.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")  # draw to a file; no display needed

import matplotlib.pyplot as plt
import pandas as pd


def main(parquet: str, plot: str) -> None:
    articles = pd.read_parquet(parquet)
    print(f"articles: {len(articles)}")

    # Articles per month of publication (UTC), oldest first.
    per_month = articles["published"].dt.strftime("%Y-%m").value_counts().sort_index()
    print("articles per month:")
    for month, count in per_month.items():
        print(f"  {month}  {count}")

    # One row per credit: explode the list column, then spread each dict into columns.
    credits = pd.json_normalize(articles["credits"].explode().dropna().tolist())
    by_license = credits["license"].fillna("(none)").value_counts()
    print("credits by license:")
    for license_name, count in sorted(by_license.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {license_name}  {count}")

    # Authors by number of articles, from the list of author dicts.
    names = articles["authors"].explode().dropna().map(lambda author: author["name"])
    print("articles by author:")
    for name, count in sorted(names.value_counts().items(), key=lambda item: (-item[1], item[0])):
        print(f"  {name}  {count}")

    figure, axis = plt.subplots(figsize=(10, 4))
    per_month.plot.bar(ax=axis, color="#4c72b0")
    axis.set_xlabel("month of publication (UTC)")
    axis.set_ylabel("articles")
    axis.set_title("Articles per month")
    figure.tight_layout()
    figure.savefig(plot)
    print(f"plot: {plot}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
