"""Rows of a synthetic big archive (bench/big_archive.py), table by table, reproducible from a seed.

One site, a newsroom of authors and agencies (Zipf: a few write most), a category tree, tens of thousands of tags,
images with credits under the licenses a news site uses, links, and for every article one or more versions: 10 %
are edited after the first capture (two to four versions with their field diffs), 1 % are taken down later. Every
version has its capture row. IDs are assigned here, so relations are known without reading anything back.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from big_text import TextMaker, _words, weighted_index, zipf_cumulative

Row = dict[str, Any]
Rows = dict[str, list[Row]]
HOST = "nachrichten.example"
BASE = f"https://{HOST}"
FIRST_PUBLISHED = datetime(2006, 1, 1, tzinfo=UTC)
LAST_PUBLISHED = datetime(2025, 12, 31, tzinfo=UTC)
CRAWL_START = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
EXTRACTOR = "0.1.0+bigarchive"
FIRST_NAMES = _words(
    "Anna Lena Jonas Lukas Marie Sophie Paul Leon Mia Emma Felix Noah Laura Julia Tim Jan Lea Sarah David "
    "Max Nina Lisa Tom Ben Clara Hannah Moritz Elias Greta Ida Karl Frieda Ole Paula Theo Ella")
LAST_NAMES = _words(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter "
    "Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner "
    "Krause Meier Lehmann Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz")
AGENCIES = ("dpa", "AFP", "Reuters", "epd", "KNA", "AP", "SID", "dts")
LICENSES = (("Pixabay Lizenz", "https://pixabay.com/service/license-summary/", 30),
            ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/", 12),
            ("CC BY 2.0", "https://creativecommons.org/licenses/by/2.0/", 6),
            ("CC0", "https://creativecommons.org/publicdomain/zero/1.0/", 8),
            ("Unsplash Lizenz", "https://unsplash.com/license", 10), (None, None, 34))
REMOVED = ("404", "410", f"redirect:{BASE}/", "unpublished")


@dataclass(frozen=True)
class Sizes:
    """Entity counts that grow with the archive the way a newsroom's do."""

    articles: int

    @property
    def authors(self) -> int:
        return min(2000, 30 + self.articles // 1500)

    @property
    def tags(self) -> int:
        return min(40_000, 200 + self.articles // 25)

    @property
    def photographers(self) -> int:
        return min(5000, 50 + self.articles // 200)

    @property
    def stock_images(self) -> int:
        return min(20_000, 100 + self.articles // 50)


def _uuid(rng: random.Random) -> str:
    return f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}>"


class BigArchiveRows:
    """The rows of an archive of ``articles`` articles; the same seed gives the same rows."""

    def __init__(self, articles: int, seed: int = 32, stemmed: bool = True) -> None:
        self.sizes = Sizes(articles)
        self.seed = seed
        self.stemmed = stemmed  # SQLite's stemmed FTS5 documents, in the pseudo-table STEMMED
        rng = random.Random(f"{seed}:entities")
        self.text = TextMaker(rng, sentences=min(300_000, 2000 + articles * 3))
        self.author_weights = zipf_cumulative(self.sizes.authors, 1.2)
        self.tag_weights = zipf_cumulative(self.sizes.tags, 1.0)
        self.photographer_weights = zipf_cumulative(self.sizes.photographers, 1.1)
        self.stock_weights = zipf_cumulative(self.sizes.stock_images, 1.0)
        self.categories = self._categories(rng)
        self.category_weights = zipf_cumulative(len(self.categories), 0.8)
        self.photographers = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                              for _ in range(self.sizes.photographers)]
        self.license_weights = [sum(w for *_, w in LICENSES[:n + 1]) for n in range(len(LICENSES))]
        self.next_image_id = self.sizes.stock_images + 1
        self.next_credit_id = 1

    def _categories(self, rng: random.Random) -> list[Row]:
        from archiver.replica.catalog import _CATEGORY_LIST

        rows: list[Row] = []
        ids: dict[str, int] = {}
        for category in _CATEGORY_LIST:
            ids[category.slug] = len(rows) + 1
            rows.append({"id": len(rows) + 1, "site_id": 1, "slug": category.slug, "name": category.name,
                         "url": f"{BASE}/{category.path}/", "parent_id": ids.get(category.parent or "")})
        regions = _words("baden-wuerttemberg bayern berlin brandenburg bremen hamburg hessen niedersachsen nrw sachsen "
                   "thueringen europa usa asien")
        for parent, children in (("regional", regions), ("wirtschaft", ["boerse", "unternehmen", "arbeit"]),
                                 ("politik", ["bundestag", "wahlen", "europa-politik"])):
            ids[parent] = len(rows) + 1
            rows.append({"id": len(rows) + 1, "site_id": 1, "slug": parent, "name": parent.title(),
                         "url": f"{BASE}/{parent}/", "parent_id": None})
            for child in children:
                rows.append({"id": len(rows) + 1, "site_id": 1, "slug": child, "name": child.replace("-", " ").title(),
                             "url": f"{BASE}/{parent}/{child}/", "parent_id": ids[parent]})
        rng.shuffle(rows[1:])  # the Zipf weight of a category follows its place in this list
        return rows

    def entities(self) -> Rows:
        rng = random.Random(f"{self.seed}:people")
        authors: list[Row] = []
        for n in range(1, self.sizes.authors + 1):
            agency = n % 50 == 7
            name = AGENCIES[n // 50 % len(AGENCIES)] if agency and n // 50 < len(AGENCIES) else \
                f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            bio = None if agency else (f"{name} schreibt seit {rng.randint(2006, 2025)} für die Redaktion. "
                                       + self.text.sentence(rng, 18))
            authors.append({"id": n, "site_id": 1, "key": f"id:{n + 1}", "name": name,
                            "url": f"{BASE}/author/{n + 1}/", "site_author_id": n + 1, "bio": bio,
                            "avatar_url": None if agency else f"{BASE}/wp-content/uploads/avatar-{n + 1}.jpg",
                            "forum_url": None, "is_organization": agency})
        tags = []
        seen: set[str] = set()
        for word in self.text.heading_words:
            slug = word.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
            if slug in seen:
                continue
            seen.add(slug)
            tags.append({"id": len(tags) + 1, "site_id": 1, "slug": slug, "name": word, "url": f"{BASE}/tag/{slug}/"})
            if len(tags) == self.sizes.tags:
                break
        assert len(tags) == self.sizes.tags, "the vocabulary is too small for this many tags"
        images = [{"id": n, "site_id": 1, "url": f"{BASE}/wp-content/uploads/stock/bild-{n}.jpg"}
                  for n in range(1, self.sizes.stock_images + 1)]
        runs = [{"id": 1, "spider": "wordpress", "mode": "crawl", "started_at": CRAWL_START,
                 "finished_at": CRAWL_START + timedelta(days=9), "finish_reason": "finished",
                 "stats": {"synthetic": True}, "software": {"archiver": "bench/big_archive.py"}, "worker": "big"},
                {"id": 2, "spider": "wordpress", "mode": "update", "started_at": CRAWL_START + timedelta(days=30),
                 "finished_at": CRAWL_START + timedelta(days=31), "finish_reason": "finished",
                 "stats": {"synthetic": True}, "software": {"archiver": "bench/big_archive.py"}, "worker": "big"}]
        return {"sites": [{"id": 1, "host": HOST, "created_at": CRAWL_START}], "crawl_runs": runs,
                "authors": authors, "categories": self.categories, "tags": tags, "images": images}

    def published_at(self, article: int, rng: random.Random) -> datetime:
        # More articles in later years (a growing site); IDs follow publication roughly, as post IDs do.
        share = (article / max(1, self.sizes.articles)) ** 0.75
        moment = FIRST_PUBLISHED + (LAST_PUBLISHED - FIRST_PUBLISHED) * share
        return (moment + timedelta(seconds=rng.randint(-86_400 * 20, 86_400 * 20))).replace(microsecond=0)

    def chunks(self, first: int, last: int, first_version: int) -> Iterator[Rows]:
        """Rows for articles ``first``..``last`` (inclusive), one article at a time into 2,000-article chunks."""
        out: Rows = _empty()
        version_id = first_version
        for article in range(first, last + 1):
            version_id = self._article(article, version_id, out)
            if len(out["articles"]) >= 2000:
                yield out
                out = _empty()
        if out["articles"]:
            yield out

    def _article(self, article: int, version_id: int, out: Rows) -> int:
        rng = random.Random(f"{self.seed}:{article}")
        published = self.published_at(article, rng)
        post_id = 1000 + article * 3 + rng.randint(0, 2)
        primary = self.categories[weighted_index(rng, self.category_weights)]
        title = self.text.title(rng)
        slug = "-".join(title.lower().split()[:8]).translate(str.maketrans("äöüß", "aous"))
        url = f"{BASE}/{primary['slug']}/{slug}-{post_id}.html"
        n_versions = 1 if rng.random() >= 0.10 else rng.randint(2, 4)
        captured = max(published + timedelta(hours=rng.randint(1, 48)),
                       CRAWL_START + timedelta(seconds=article * 0.5))
        authors = self._distinct(rng, self.author_weights, 1 if rng.random() < 0.85 else rng.randint(2, 3))
        categories = [primary["id"], *[self.categories[weighted_index(rng, self.category_weights)]["id"]
                                       for _ in range(rng.choice((0, 0, 1, 1, 2)))]]
        categories = list(dict.fromkeys(categories))
        tags = self._distinct(rng, self.tag_weights, rng.choice((0, 1, 2, 3, 3, 4, 5, 6, 8)))
        images = self._images(rng, article, published, out)
        words = int(rng.lognormvariate(5.6, 0.5)) + 40
        paragraphs = self.text.paragraphs(rng, words)
        lead = self.text.sentence(rng, rng.randint(14, 30))
        first_version_id = version_id
        previous: Row | None = None
        for number in range(1, n_versions + 1):
            if previous is not None:  # an edit: a paragraph rewritten, sometimes the headline too
                paragraphs = list(paragraphs)
                paragraphs[rng.randrange(len(paragraphs))] = [n for p in self.text.paragraphs(rng, 60) for n in p]
                if rng.random() < 0.3:
                    title = self.text.title(rng)
                captured += timedelta(days=rng.randint(1, 200), seconds=rng.randint(0, 86_399))
            version = self._version(rng, article, version_id, number, title, lead, paragraphs, published, captured,
                                    primary, previous)
            out["article_versions"].append(version)
            if self.stemmed:
                out[STEMMED].append({"rowid": version_id, "doc": self.text.stemmed_document(title, lead, paragraphs)})
            out["captures"].append(self._capture(rng, version_id, url, captured))
            for position, author in enumerate(authors):
                out["article_authors"].append({"version_id": version_id, "author_id": author, "position": position})
            for position, category in enumerate(categories):
                out["article_categories"].append({"version_id": version_id, "category_id": category,
                                                  "is_primary": position == 0, "position": position})
            for position, tag in enumerate(tags):
                out["article_tags"].append({"version_id": version_id, "tag_id": tag, "position": position})
            self._image_rows(images, version_id, out)
            self._links(rng, version_id, post_id, out)
            previous = version
            version_id += 1
        removed = rng.random() < 0.01
        out["articles"].append({
            "id": article, "site_id": 1, "key": f"post:{post_id}", "post_id": post_id, "url": url,
            "first_seen": out["article_versions"][-n_versions]["captured_at"], "last_seen": captured,
            "current_version_id": first_version_id + n_versions - 1, "version_count": n_versions,
            "removed_at": captured + timedelta(days=rng.randint(1, 300)) if removed else None,
            "removed_status": rng.choice(REMOVED) if removed else None})
        return version_id

    @staticmethod
    def _distinct(rng: random.Random, weights: list[float], k: int) -> list[int]:
        return list(dict.fromkeys(weighted_index(rng, weights) + 1 for _ in range(k)))

    def _images(self, rng: random.Random, article: int, published: datetime, out: Rows) -> list[Row]:
        chosen: list[Row] = []
        for position in range(int(rng.random() < 0.8) + rng.choice((0, 0, 0, 1, 1, 2, 3))):
            if rng.random() < 0.15:
                image_id = weighted_index(rng, self.stock_weights) + 1
                image_url = f"{BASE}/wp-content/uploads/stock/bild-{image_id}.jpg"
            else:
                image_id = self.next_image_id
                self.next_image_id += 1
                image_url = f"{BASE}/wp-content/uploads/{published:%Y/%m}/bild-{article}-{position}.jpg"
                out["images"].append({"id": image_id, "site_id": 1, "url": image_url})
            if any(image["image_id"] == image_id for image in chosen):
                continue
            credit = None
            if rng.random() < 0.7:
                creator = self.photographers[weighted_index(rng, self.photographer_weights)]
                license_name, license_url, _ = LICENSES[weighted_index(rng, self.license_weights)]
                credit = {"creator": creator, "license": license_name, "license_url": license_url,
                          "raw": f"Bildquelle: {creator}" + (f", {license_name}" if license_name else "")}
            chosen.append({"image_id": image_id, "url": image_url, "alt": self.text.title(rng),
                           "caption": self.text.sentence(rng, 8) if rng.random() < 0.5 else None,
                           "width": 1200 if position == 0 else 800, "height": 675 if position == 0 else 533,
                           "is_lead": position == 0, "credit": credit})
        return chosen

    def _image_rows(self, images: list[Row], version_id: int, out: Rows) -> None:
        for position, image in enumerate(images):
            out["article_images"].append({
                "version_id": version_id, "position": position, "image_id": image["image_id"], "alt": image["alt"],
                "caption": image["caption"], "width": image["width"], "height": image["height"],
                "is_lead": image["is_lead"]})
            if image["credit"] is not None:
                out["credits"].append({"id": self.next_credit_id, "version_id": version_id, "position": position,
                                       "image_id": image["image_id"], "source_url": None,
                                       "applies_to": image["url"], **image["credit"]})
                self.next_credit_id += 1

    def _links(self, rng: random.Random, version_id: int, post_id: int, out: Rows) -> None:
        for position in range(rng.choice((0, 1, 2, 3))):
            target = max(1000, post_id - rng.randint(3, 30_000))
            out["links"].append({"version_id": version_id, "kind": "internal", "position": position,
                                 "url": f"{BASE}/?p={target}", "target_post_id": target})
        for position in range(rng.choice((0, 1, 1, 2))):
            out["links"].append({"version_id": version_id, "kind": "external", "position": position,
                                 "url": f"https://quelle{rng.randint(1, 500)}.example/beitrag/{rng.randint(1, 10**6)}",
                                 "target_post_id": None})

    def _version(self, rng: random.Random, article: int, version_id: int, number: int, title: str, lead: str,
                 paragraphs: list[list[int]], published: datetime, captured: datetime, primary: Row,
                 previous: Row | None) -> Row:
        texts = [self.text.paragraph_text(sentences) for sentences in paragraphs]
        text = "\n\n".join(texts)
        modified = published if previous is None else captured - timedelta(hours=rng.randint(1, 20))
        diff = None
        if previous is not None:
            diff = {"text": {"unified": "@@ -1 +1 @@ (synthetic edit)"}}
            if previous["title"] != title:
                diff["title"] = {"old": previous["title"], "new": title}
        word_count = text.count(" ") + text.count("\n\n") + 1
        return {
            "id": version_id, "article_id": article, "version": number, "layout": "wordpress", "title": title,
            "lead": lead, "text": text, "html": "".join([f"<p>{p}</p>" for p in texts]),
            "published": published, "published_raw": published.isoformat(), "modified": modified,
            "modified_raw": modified.isoformat(), "language": "de", "word_count": word_count,
            "reading_time_minutes": max(1, word_count // 200), "comments_url": None,
            "breadcrumb": ["Startseite", primary["name"]], "warnings": [],
            "content_hash": hashlib.sha256(f"{title}\n{text}".encode()).hexdigest(), "captured_at": captured,
            "capture_id": version_id, "diff": diff, "extractor": EXTRACTOR,
            "field_sources": {"authors": "byline", "published": "time", "lead": "meta-description"}}

    def _capture(self, rng: random.Random, version_id: int, url: str, captured: datetime) -> Row:
        # Synthetic WARC pointers; bench/big_warc.py replaces them with real records for the WARC slice.
        return {"id": version_id, "run_id": 1 if captured < CRAWL_START + timedelta(days=10) else 2, "url": url,
                "status": 200, "fetched_at": captured, "warc_file": f"synthetic-{version_id // 50_000:05d}.warc.gz",
                "warc_offset": version_id * 4096 % 10**9, "warc_length": 4000, "record_id": _uuid(rng),
                "record_type": "response", "payload_digest": None, "content_type": "text/html; charset=UTF-8",
                "worker": "big", "etag": None, "last_modified": None}


TABLE_ORDER = ("captures", "articles", "article_versions", "images", "article_authors", "article_categories",
               "article_tags", "article_images", "credits", "links")
# Not a table of the models: the stemmed FTS5 documents (rowid = version ID) SQLite's triggers would have written.
STEMMED = "article_search_stemmed"


def _empty() -> Rows:
    return {name: [] for name in (*TABLE_ORDER, STEMMED)}
