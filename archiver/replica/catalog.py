"""Fixed facts of the replica site: authors, the category tree, tags and the word pool.

Modelled on ``tests/fixtures/site-model.md`` (sections 3, 7 and 8). Nothing here is computed
by, or shared with, the archiver's extraction code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Author:
    id: int
    name: str
    bio: str
    avatar: str  # file name under /wp-content/uploads/
    forum_name: str


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    parent: str | None

    @property
    def path(self) -> str:
        """URL path of the category without leading or trailing slash."""
        parts = [self.slug]
        parent = self.parent
        while parent is not None:
            parts.append(parent)
            parent = CATEGORIES[parent].parent
        return "/".join(reversed(parts))

    def ancestors(self) -> list[Category]:
        chain: list[Category] = []
        parent = self.parent
        while parent is not None:
            chain.append(CATEGORIES[parent])
            parent = CATEGORIES[parent].parent
        return list(reversed(chain))


@dataclass(frozen=True)
class Tag:
    slug: str
    name: str


AUTHORS: dict[int, Author] = {
    a.id: a
    for a in [
        Author(2, "Lars Sobiraj", "Lars Sobiraj gründete Tarnkappe.info im Frühjahr 2014. Er schreibt über "
               "Filesharing, Urheberrecht und die Szene und führt Interviews mit Betroffenen.",
               "lars-sobiraj.jpg", "Lars"),
        Author(14, "Antonia", "Antonia ist bereits seit Januar 2016 Autorin bei der Tarnkappe. Eingestiegen ist "
               "sie zunächst mit Buch-Rezensionen. Inzwischen schreibt sie bevorzugt über juristische Themen, "
               "wie P2P-Fälle, sie greift aber auch andere Netzthemen, wie Cybercrime, auf. Ihre Interessen "
               "beziehen sich hauptsächlich auf Literatur.", "antonia.jpg", "Antonia"),
        Author(83, "Sunny", "Sunny schreibt seit 2019 für die Tarnkappe.\nEr verfasst die wöchentlichen "
               "Lesetipps und berichtet am liebsten über Themen wie Datenschutz, Hacking und Netzpolitik.",
               "3396_2.jpg", "Sunny"),
        Author(91, "Ghandy", "Ghandy ist seit 2016 dabei und beschäftigt sich mit Malware, Darknet-Märkten "
               "und allem, was die Szene bewegt.", "ghandy.jpg", "Ghandy"),
        Author(104, "Annika Kremer", "Annika Kremer schreibt über Netzpolitik, Datenschutz und die "
               "Rechtsprechung rund um das Internet.", "annika.jpg", "Annika"),
        Author(117, "Nordlicht", "Nordlicht berichtet über Kryptowährungen, Blockchain und NFT-Projekte "
               "aus dem hohen Norden.", "nordlicht.jpg", "Nordlicht"),
    ]
}

_CATEGORY_LIST = [
    Category("artikel", "Artikel", None),
    Category("it-sicherheit", "IT-Sicherheit", "artikel"),
    Category("datenschutz", "Datenschutz", "it-sicherheit"),
    Category("malware", "Malware", "it-sicherheit"),
    Category("online-betrug", "Online-Betrug", "it-sicherheit"),
    Category("krypto", "Krypto", "artikel"),
    Category("blockchain", "Blockchain", "krypto"),
    Category("nft", "NFT", "krypto"),
    Category("szene", "Szene", "artikel"),
    Category("dark-commerce", "Dark-Commerce", "szene"),
    Category("warez", "Warez", "szene"),
    Category("usenet", "Usenet", "szene"),
    Category("drachenlord", "Drachenlord", "artikel"),
    Category("rechtssachen", "Rechtssachen", "artikel"),
    Category("internet", "Internet", "artikel"),
    Category("filesharing", "Filesharing", "artikel"),
    Category("netzpolitik", "Netzpolitik", "artikel"),
    Category("streaming", "Streaming", "artikel"),
    Category("interviews", "Interviews", "artikel"),
    Category("hintergrundberichte", "Hintergrundberichte", "artikel"),
    Category("gaming", "Gaming", "artikel"),
    Category("cyberangriff", "Cyberangriff", "artikel"),
    Category("kommentar", "Kommentar", None),
    Category("rezension", "Rezension", "kommentar"),
    Category("glosse", "Glosse", None),
    Category("intern", "Intern", None),
    Category("lesetipps", "Lesetipps", None),
    Category("newsticker", "Newsticker", None),
]
CATEGORIES: dict[str, Category] = {c.slug: c for c in _CATEGORY_LIST}

# Leaf-ish categories an article can have as its primary one (weights favour the news sections).
PRIMARY_CHOICES: list[str] = [
    "datenschutz", "malware", "online-betrug", "krypto", "blockchain", "dark-commerce", "warez", "usenet",
    "rechtssachen", "internet", "filesharing", "netzpolitik", "streaming", "gaming", "cyberangriff",
    "hintergrundberichte", "interviews", "glosse", "rezension", "intern", "lesetipps",
]

# Category paths that moved (site model §2): old path -> category slug whose current path is canonical.
MOVED_CATEGORY_PATHS: dict[str, str] = {
    "artikel/datenschutz": "datenschutz",
    "artikel/malware": "malware",
    "artikel/usenet": "usenet",
}

_TAG_NAMES = [
    "Cyberkriminalität", "Finanzaufsicht", "Garantex", "Geldwäschebekämpfung", "Krypto-Regulierung",
    "Ransomware", "Phishing", "Datenleck", "Telegram", "WhatsApp", "Darknet", "Europol", "BKA", "Bitcoin",
    "Monero", "Urheberrecht", "Abmahnung", "Streaming-Piraterie", "IPTV", "Usenet", "Torrent", "VPN",
    "Überwachung", "Vorratsdatenspeicherung", "DSGVO", "Chatkontrolle", "Hacker", "Sicherheitslücke",
    "Botnetz", "Emotet", "Razzia", "Festnahme", "Warez-Szene", "Sci-Hub", "Anna's Archive", "Nintendo",
    "PlayStation", "Cheats", "Künstliche Intelligenz", "ChatGPT", "Deepfake", "Netzsperren", "GEMA",
    "Filmindustrie", "Musikindustrie", "Staatstrojaner", "Zensur", "Tor", "Signal", "Open Source",
]

_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def slugify(text: str) -> str:
    """WordPress-like slug (German umlauts transliterated the way the site does)."""
    lowered = text.translate(_TRANSLITERATION).lower()
    out: list[str] = []
    for ch in lowered:
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif not out or out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


TAGS: list[Tag] = [Tag(slugify(name), name) for name in _TAG_NAMES]
TAGS_BY_SLUG: dict[str, Tag] = {t.slug: t for t in TAGS}

NOUNS = [
    "Behörde", "Plattform", "Betreiber", "Ermittler", "Staatsanwaltschaft", "Nutzer", "Forscher", "Hacker",
    "Gericht", "Regierung", "Anbieter", "Datenschützer", "Szene", "Börse", "Polizei", "Kunden", "Server",
    "Messenger", "Gesetzentwurf", "Sicherheitslücke", "Razzia", "Urteil", "Studie", "Sperre", "Dienst",
]
VERBS = [
    "meldet", "prüft", "verschärft", "blockiert", "veröffentlicht", "untersucht", "kritisiert", "fordert",
    "bestätigt", "schließt", "startet", "warnt vor", "ermittelt gegen", "verklagt", "übernimmt",
]
ADJECTIVES = [
    "neue", "illegale", "umstrittene", "russische", "deutsche", "anonyme", "verschlüsselte", "gefälschte",
    "internationale", "digitale", "geheime", "kostenlose", "bekannte", "betroffene", "zahlreiche",
]
OBJECTS = [
    "Kryptowährungen", "Streaming-Portale", "Darknet-Märkte", "Zugangsdaten", "Chatverläufe",
    "Abmahnungen", "Uploads", "Domains", "Konten", "Sicherheitsupdates", "Geldströme", "Datenbanken",
    "Filme", "Spiele", "E-Books", "Webseiten", "Passwörter", "Bitcoin-Wallets", "Fotos", "Serien",
]
CONNECTORS = [
    "Allerdings", "Zudem", "Dennoch", "Außerdem", "Nach Angaben der Ermittler", "Laut Bericht",
    "Gleichzeitig", "Bereits 2022", "Inzwischen", "Wie berichtet",
]

PHOTOGRAPHERS = ["AndreyPopov", "Iridi", "Nordlicht", "Dimitri Karastelev", "LoboStudioHamburg",
                 "geralt", "madmetzi", "Clark Tibbs", "TheDigitalArtist", "Monero Graphics"]
