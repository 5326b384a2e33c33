"""Deterministic article model of the replica site.

Every article is derived from ``(seed, index)`` alone, so a replica of 100,000 articles
needs no pre-rendering: an article is built when a page asks for it. "Site time" is a
day counter: day 0 holds ``articles`` posts; each later day publishes new posts and
edits a few existing ones.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from . import catalog as cat
from . import seed_article as seed

BERLIN = ZoneInfo("Europe/Berlin")
SITE_START = datetime(2014, 4, 2, 8, 0, tzinfo=UTC)
SITE_END = datetime(2025, 3, 7, 6, 25, 18, tzinfo=UTC)
HUEMAN_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
REMOVED_ANSWERS = (404, 410, 301)
SEED_DATE = datetime.fromisoformat(seed.SEED_PUBLISHED_LOCAL).replace(tzinfo=BERLIN).astimezone(UTC)

LICENSE_URLS = {
    "Pixabay Lizenz": "https://pixabay.com/service/license-summary/",
    "CC0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC BY 2.0": "https://creativecommons.org/licenses/by/2.0/",
    "CC BY-SA 4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
}


@dataclass(frozen=True)
class Link:
    href: str  # site-relative ("/artikel/...") or absolute external URL
    text: str
    title: str | None = None
    internal_post_index: int | None = None


@dataclass(frozen=True)
class Credit:
    # "bildquelle-source" | "bildquelle" | "bildquelle-license-link" | "bildquelle-license" | "foto-thx" | "bild-cc"
    kind: str
    creator: str
    license: str | None = None
    license_url: str | None = None
    source_url: str | None = None

    @property
    def raw(self) -> str:
        if self.kind.startswith("bildquelle"):
            return f"Bildquelle: {self.creator}" + (f", {self.license}" if self.license else "")
        if self.kind == "foto-thx":
            return f"Foto {self.creator}, thx! ({self.license})"
        return f"Bild: {self.creator}, {self.license}"


@dataclass(frozen=True)
class Image:
    src: str  # site-relative path
    width: int
    height: int
    alt: str
    caption: str | None
    credit: Credit | None = None
    credit_in_caption: bool = False


Segment = str | Link


@dataclass(frozen=True)
class Block:
    kind: str  # "p" | "h2" | "figure" | "credit"
    segments: tuple[Segment, ...] = ()
    image: Image | None = None
    credit: Credit | None = None

    @property
    def text(self) -> str:
        return "".join(s if isinstance(s, str) else s.text for s in self.segments)


@dataclass
class Article:
    index: int
    post_id: int
    slug: str
    title: str
    lead: str
    published: datetime
    modified: datetime
    author_ids: list[int]
    primary: str
    secondary: list[str]
    tags: list[str]
    lead_image: Image | None
    blocks: list[Block]
    version: int
    topic_id: int
    is_seed: bool = False
    moved_from: str | None = None
    body_credit: Credit | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def category_path(self) -> str:
        return cat.CATEGORIES[self.primary].path

    @property
    def path(self) -> str:
        return f"/{self.category_path}/{self.slug}-{self.post_id}.html"

    @property
    def default_theme(self) -> str:
        return "hueman" if self.published < HUEMAN_BEFORE else "tk-theme"

    @property
    def category_slugs(self) -> list[str]:
        return sorted({self.primary, *self.secondary})

    @property
    def reading_minutes(self) -> int:
        words = sum(len(b.text.split()) for b in self.blocks if b.kind in ("p", "h2"))
        return max(1, round(words / 120))


def _rng(*parts: object) -> random.Random:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


class SiteModel:
    """All articles of one replica configuration: ``articles`` at day 0, growing with ``day``."""

    def __init__(self, articles: int = 300, day: int = 0, seed: int = 1, removed: int = 0) -> None:
        if articles < 10:
            raise ValueError("the replica needs at least 10 articles")
        if day < 0:
            raise ValueError("day must be >= 0")
        self.base_count = articles
        self.day = day
        self.seed = seed
        self.new_per_day = max(1, articles // 100)
        self.edits_per_day = max(1, articles // 100)
        self.count = articles + day * self.new_per_day
        span = (SITE_END - SITE_START) / (articles - 1)
        self._span = span
        self.seed_index = min(range(articles), key=lambda i: abs(SITE_START + span * i - SEED_DATE))
        self._edits: dict[int, list[int]] = {}
        for d in range(1, day + 1):
            population = articles + (d - 1) * self.new_per_day
            for i in _rng(seed, "edit", d).sample(range(population), self.edits_per_day):
                self._edits.setdefault(i, []).append(d)
        self._cache = lru_cache(maxsize=4096)(self._build)
        # Fault switch: articles taken down, index → what their page answers (404, 410, or 301 to the front
        # page, in turn). They stay in sitemaps, feed and listings; the REST posts no longer list them.
        chosen = sorted(_rng(seed, "removed").sample(range(articles), min(removed, articles)))
        self.removed = {index: REMOVED_ANSWERS[n % len(REMOVED_ANSWERS)] for n, index in enumerate(chosen)}

    # --- identity -----------------------------------------------------------------------------
    def post_id(self, index: int) -> int:
        """IDs follow the site's real ID history (site model §2); ``+ index`` keeps them strictly increasing."""
        return _id_at(self.published(index)) + index

    def index_of_post(self, post_id: int) -> int | None:
        low, high = 0, self.count - 1
        while low <= high:
            middle = (low + high) // 2
            found = self.post_id(middle)
            if found == post_id:
                return middle
            if found < post_id:
                low = middle + 1
            else:
                high = middle - 1
        return None

    def published(self, index: int) -> datetime:
        if index == self.seed_index:
            return SEED_DATE
        if index < self.base_count:
            moment = SITE_START + self._span * index
        else:
            offset = index - self.base_count
            spacing = 86_400 // (self.new_per_day + 1)
            moment = SITE_END + timedelta(days=offset // self.new_per_day + 1,
                                          seconds=spacing * (offset % self.new_per_day))
        return moment.replace(microsecond=0)

    def day_date(self, day: int) -> datetime:
        return SITE_END + timedelta(days=day, hours=12)

    def edit_days(self, index: int) -> list[int]:
        return self._edits.get(index, [])

    def edited_on(self, day: int) -> list[int]:
        return sorted(i for i, days in self._edits.items() if day in days)

    def new_on(self, day: int) -> list[int]:
        if day == 0:
            return list(range(self.base_count))
        start = self.base_count + (day - 1) * self.new_per_day
        return list(range(start, start + self.new_per_day))

    # --- cheap metadata used by listings ------------------------------------------------------
    def meta(self, index: int) -> tuple[str, list[str], list[int], list[str]]:
        """(primary category, secondary categories, author ids, tag slugs) without building the body."""
        if index == self.seed_index:
            return seed.SEED_PRIMARY, list(seed.SEED_SECONDARY), [seed.SEED_AUTHOR_ID], list(seed.SEED_TAGS)
        r = _rng(self.seed, "meta", index)
        primary = r.choice(cat.PRIMARY_CHOICES)
        secondary = sorted({r.choice(cat.PRIMARY_CHOICES) for _ in range(r.randrange(0, 3))} - {primary})
        author_ids = sorted(cat.AUTHORS)
        authors = [r.choice(author_ids)]
        if r.random() < 0.06:
            second = r.choice(author_ids)
            if second != authors[0]:
                authors.append(second)
        tags = sorted({t.slug for t in r.sample(cat.TAGS, r.randrange(2, 7))})
        return primary, secondary, authors, tags

    def article(self, index: int) -> Article:
        if not 0 <= index < self.count:
            raise IndexError(index)
        return self._cache(index)

    # --- construction -------------------------------------------------------------------------
    def _build(self, index: int) -> Article:
        if index == self.seed_index:
            return self._build_seed(index)
        r = _rng(self.seed, "body", index)
        primary, secondary, authors, tags = self.meta(index)
        published = self.published(index)
        title = _title(r)
        slug = cat.slugify(title)[:70].strip("-")
        lead = _sentence(r, 14) + " " + _sentence(r, 10)
        blocks: list[Block] = [Block("p", (lead,))]
        headings = r.randrange(2, 4)
        for h in range(headings):
            blocks.append(Block("h2", (_heading(r),)))
            for _ in range(r.randrange(1, 4)):
                blocks.append(Block("p", self._paragraph(r, index)))
            if r.random() < 0.45:
                blocks.append(Block("figure", image=_inline_image(r, published, index, h)))
        hueman = published < HUEMAN_BEFORE
        lead_image = _lead_image(r, slug, title, hueman)
        body_credit: Credit | None = None
        if hueman and lead_image is not None and r.random() < 0.8:
            body_credit = _hueman_credit(r)
            blocks.append(Block("credit", credit=body_credit))
        version_days = self.edit_days(index)
        modified = published + timedelta(minutes=1, seconds=r.randrange(0, 3000))
        for d in version_days:
            blocks.insert(-1 if body_credit else len(blocks), Block("p", (
                f"Update vom Tag {d}: " + _sentence(_rng(self.seed, "update", index, d), 12),)))
            if (index + d) % 2 == 0:
                title = f"{title} (Update {d})"
            modified = self.day_date(d) + timedelta(minutes=index % 50)
        moved_from = None
        if primary in {"datenschutz", "malware", "usenet"} and published < datetime(2022, 6, 1, tzinfo=UTC):
            moved_from = f"artikel/{primary}"
        return Article(
            index=index, post_id=self.post_id(index), slug=slug, title=title, lead=lead, published=published,
            modified=modified, author_ids=authors, primary=primary, secondary=secondary, tags=tags,
            lead_image=lead_image, blocks=blocks, version=len(version_days), topic_id=1000 + index,
            moved_from=moved_from, body_credit=body_credit,
        )

    def _paragraph(self, r: random.Random, index: int) -> tuple[Segment, ...]:
        segments: list[Segment] = [_sentence(r, r.randrange(8, 18)) + " "]
        roll = r.random()
        if roll < 0.3 and index > 0:
            target = r.randrange(0, index)
            segments.append(Link(href=f"@post:{target}", text=_words(r, 4), internal_post_index=target))
            segments.append(" " + _sentence(r, 6)[0].lower() + _sentence(r, 6)[1:])
        elif roll < 0.4:
            segments.append(Link(href=f"https://www.example.com/news/{r.randrange(10**6)}", text=_words(r, 3)))
            segments.append(".")
        else:
            segments.append(_sentence(r, r.randrange(8, 16)))
        return tuple(segments)

    def _build_seed(self, index: int) -> Article:
        blocks: list[Block] = []
        for kind, text in seed.SEED_BLOCKS:
            if kind == "figure":
                blocks.append(Block("figure", image=Image(
                    src="/wp-content/uploads/telegram-logo.png", width=640, height=360, alt="Telegram",
                    caption=text)))
            else:
                blocks.append(Block(kind, (text,)))
        credit = Credit("foto-thx", seed.SEED_CREDIT_CREATOR, seed.SEED_CREDIT_LICENSE,
                        LICENSE_URLS[seed.SEED_CREDIT_LICENSE])
        blocks.append(Block("credit", credit=credit))
        lead_image = Image(src=f"/wp-content/uploads/{seed.SEED_SLUG}.jpg", width=1280, height=720,
                           alt=seed.SEED_LEAD_ALT, caption=seed.SEED_LEAD_CAPTION)
        title = seed.SEED_TITLE
        modified = SEED_DATE + timedelta(minutes=42)
        version_days = self.edit_days(index)
        for d in version_days:
            update_text = f"Update vom Tag {d}: " + _sentence(_rng(self.seed, "update", index, d), 12)
            blocks.insert(-1, Block("p", (update_text,)))
            modified = self.day_date(d)
        return Article(
            index=index, post_id=self.post_id(index), slug=seed.SEED_SLUG, title=title, lead=seed.SEED_LEAD,
            published=SEED_DATE, modified=modified, author_ids=[seed.SEED_AUTHOR_ID], primary=seed.SEED_PRIMARY,
            secondary=list(seed.SEED_SECONDARY), tags=list(seed.SEED_TAGS), lead_image=lead_image, blocks=blocks,
            version=len(version_days), topic_id=4711, is_seed=True, body_credit=credit,
        )

    # --- ordering ---------------------------------------------------------------------------------
    def newest_first(self) -> range:
        return range(self.count - 1, -1, -1)



# (date, post ID) anchors of tarnkappe.info's ID history, site model §2.
_ID_ANCHORS = [
    (datetime(2014, 4, 1, tzinfo=UTC), 1000), (datetime(2017, 4, 15, tzinfo=UTC), 20031),
    (datetime(2017, 11, 15, tzinfo=UTC), 23500), (datetime(2019, 10, 15, tzinfo=UTC), 38284),
    (datetime(2021, 3, 15, tzinfo=UTC), 93218), (datetime(2022, 3, 15, tzinfo=UTC), 221089),
    (datetime(2025, 3, 7, 6, 25, 18, tzinfo=UTC), 311235),
]


def _id_at(moment: datetime) -> int:
    for (d0, id0), (d1, id1) in itertools.pairwise(_ID_ANCHORS):
        if moment <= d1 or d1 == _ID_ANCHORS[-1][0]:
            fraction = (moment - d0) / (d1 - d0)
            return int(id0 + (id1 - id0) * max(0.0, fraction))
    raise AssertionError("unreachable")


def _words(r: random.Random, n: int) -> str:
    pool = cat.NOUNS + cat.OBJECTS + cat.ADJECTIVES
    return " ".join(r.choice(pool) for _ in range(n))


def _sentence(r: random.Random, n: int) -> str:
    parts = [r.choice(cat.CONNECTORS), r.choice(cat.VERBS), "die", r.choice(cat.NOUNS)]
    while len(parts) < n:
        parts.append(r.choice([r.choice(cat.ADJECTIVES), r.choice(cat.OBJECTS), r.choice(cat.NOUNS), "und",
                               "für", "gegen", "mit", "über"]))
    sentence = " ".join(parts)
    if r.random() < 0.1:
        sentence += " („" + r.choice(cat.OBJECTS) + "“)"
    return sentence + r.choice([".", ".", ".", "!", "?"])


def _title(r: random.Random) -> str:
    noun = r.choice(cat.NOUNS)
    pattern = r.randrange(4)
    if pattern == 0:
        return f"{noun} {r.choice(cat.VERBS)} {r.choice(cat.ADJECTIVES)} {r.choice(cat.OBJECTS)}"
    if pattern == 1:
        return f"{r.choice(cat.TAGS).name}: {noun} {r.choice(cat.VERBS)} {r.choice(cat.OBJECTS)}"
    if pattern == 2:
        return f"{r.choice(cat.ADJECTIVES).capitalize()} {r.choice(cat.OBJECTS)} & {r.choice(cat.OBJECTS)} – was jetzt?"
    return f"„{r.choice(cat.OBJECTS)}“ im Visier: {noun} {r.choice(cat.VERBS)} {r.choice(cat.NOUNS)}"


def _heading(r: random.Random) -> str:
    where = r.choice(["im Fokus", "unter Druck", "vor Gericht", "im Netz"])
    return f"{r.choice(cat.ADJECTIVES).capitalize()} {r.choice(cat.OBJECTS)} {where}"


def _lead_image(r: random.Random, slug: str, title: str, hueman: bool) -> Image | None:
    if hueman and r.random() < 0.15:
        return None
    alt = title.split(":")[0]
    caption = None if r.random() < 0.3 else f"{alt} – {r.choice(cat.OBJECTS)}"
    if hueman:
        return Image(src=f"/wp-content/uploads/{slug[:40]}.jpg", width=1280, height=720, alt=alt, caption=caption)
    if r.random() < 0.2:
        alt += " (Symbolbild)"
    roll = r.random()
    person = r.choice(cat.PHOTOGRAPHERS)
    credit: Credit | None
    if roll < 0.2:
        credit = Credit("bildquelle-source", "Screenshot Tarnkappe", source_url="https://www.example.org/")
    elif roll < 0.4:
        credit = Credit("bildquelle", person)
    elif roll < 0.6:
        credit = Credit("bildquelle-license-link", person, "Lizenz", "https://depositphotos.com/license.html")
    elif roll < 0.75:
        credit = Credit("bildquelle-license", person, "Lizenz")
    elif roll < 0.9:
        credit = Credit("bildquelle", "ChatGPT")
    else:
        credit = None
    return Image(src=f"/wpimg/{slug}", width=1920, height=1080, alt=alt, caption=caption, credit=credit)


def _inline_image(r: random.Random, published: datetime, index: int, n: int) -> Image:
    stamp = published.astimezone(BERLIN).strftime("%Y-%m-%d")
    caption = f"{r.choice(cat.NOUNS)}: {r.choice(cat.ADJECTIVES)} {r.choice(cat.OBJECTS)}."
    credit = None
    if r.random() < 0.35:
        credit = Credit("bildquelle-license", r.choice(cat.PHOTOGRAPHERS), "Lizenz")
    return Image(src=f"/wp-content/uploads/{stamp}_{index}_{n}.png", width=800, height=600,
                 alt=r.choice(cat.NOUNS), caption=caption, credit=credit, credit_in_caption=credit is not None)


def _hueman_credit(r: random.Random) -> Credit:
    person = r.choice(cat.PHOTOGRAPHERS)
    if r.random() < 0.7:
        return Credit("foto-thx", person, "Pixabay Lizenz", LICENSE_URLS["Pixabay Lizenz"])
    lic = r.choice(["CC0", "CC BY 2.0", "CC BY-SA 4.0"])
    return Credit("bild-cc", person, lic, LICENSE_URLS[lic])
