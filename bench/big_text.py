"""German-like text for the synthetic big archive (bench/big_archive.py): varied words with a Zipf distribution.

Full-text search is only realistic when the vocabulary is: one repeated lorem ipsum makes every word match every
article. The vocabulary here is real German function words and news nouns, plus tens of thousands of compounds
built from German stems (``Datenschutzbehörde``, ``Kryptobörsenbetreiber``), each drawn with a Zipf weight so that
common words are common and most words are rare, as in a real news corpus.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from collections.abc import Sequence

from archiver.storage import stemming


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FUNCTION_WORDS = _words(
    "der die das und in den von zu mit sich des auf für ist im dem nicht ein eine als auch es an werden aus er hat "
    "dass sie nach wird bei einer um am sind noch wie einem über einen so zum war haben nur oder aber vor zur bis "
    "mehr durch man sein wurde sei gegen vom kann schon wenn habe seine ihre dann unter wir soll ich eines jetzt "
    "hatte zwei seit ihr diese dieser wieder keine seiner worden will zwischen immer sollen gibt sagte derzeit "
    "bereits laut demnach zudem allerdings jedoch offenbar etwa rund weitere neue ersten letzten vergangenen")
STEMS = _words(
    "Daten Schutz Behörde Netz Sicherheit Lücke Angriff Server Dienst Anbieter Kunde Konto Geld Wäsche Börse Krypto "
    "Block Kette Münze Handel Markt Plattform Nutzer Gericht Urteil Klage Recht Urheber Film Musik Spiel Konsole "
    "Strom Polizei Staat Anwalt Ermittlung Verfahren Razzia Durchsuchung Haft Strafe Gesetz Entwurf Regierung "
    "Minister Partei Wahl Bund Land Stadt Firma Konzern Start Schule Forschung Studie Bericht Quelle Zeitung "
    "Redaktion Presse Funk Sender Kanal Nachricht Chat Kontrolle Überwachung Speicher Passwort Schlüssel Code "
    "Software Programm Update Fehler System Rechner Telefon Handy Gerät Kamera Bild Video Stream Seite Forum "
    "Gruppe Szene Bande Täter Opfer Zeuge Betrug Masche Erpressung Lösegeld Trojaner Wurm Virus Netzwerk Zugang "
    "Sperre Filter Zensur Freiheit Meinung Hass Rede Post Brief Paket Zoll Grenze Hafen Bahn Flug Auto Energie "
    "Wasser Wärme Preis Kosten Steuer Bank Zins Kredit Karte Zahlung Abo Vertrag Lizenz Marke Patent Werk Fabrik "
    "Arbeit Lohn Stelle Beruf Hilfe Dorf Kreis Amt Rat Verband Verein Bürger Volk Welt Zukunft Krise Wandel")
SUFFIXES = ("", "", "", "n", "en", "s", "es", "er", "ung", "ungen", "ern", "heit", "keit", "schaft")
NEWS_NOUNS = _words(
    "Telegram WhatsApp Signal Europol Interpol BKA Bitcoin Monero Ethereum Darknet Ransomware Phishing Emotet "
    "Staatstrojaner Vorratsdatenspeicherung Chatkontrolle DSGVO GEMA Netflix Nintendo PlayStation Usenet Torrent "
    "VPN Tor Razzia Razzien Festnahme Festnahmen Ermittler Staatsanwaltschaft Bundesgerichtshof Landgericht "
    "Amtsgericht Generalstaatsanwaltschaft Cyberkriminalität Sicherheitslücke Datenleck Hacker Hackerin "
    "Betreiber Betreiberin Plattformen Kryptowährung Kryptowährungen Abmahnung Abmahnungen Urheberrecht")


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """``size`` distinct words, common ones first: function words, news nouns, then stem compounds."""
    words: list[str] = list(dict.fromkeys(FUNCTION_WORDS + NEWS_NOUNS))
    seen = set(words)
    compounds = [a + b.lower() + s for a, b in itertools.permutations(STEMS, 2) for s in ("", "", "s", "en")]
    compounds += [s + suffix for s in STEMS for suffix in SUFFIXES]
    rng.shuffle(compounds)
    for word in compounds:
        if len(words) >= size:
            break
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_cumulative(n: int, exponent: float = 1.07) -> list[float]:
    total = 0.0
    out: list[float] = []
    for rank in range(1, n + 1):
        total += 1.0 / rank ** exponent
        out.append(total)
    return out


class TextMaker:
    """Titles, leads and bodies from one vocabulary; every call draws from the caller's ``random.Random``."""


    def __init__(self, rng: random.Random, size: int = 60_000, sentences: int = 300_000) -> None:
        self.words = vocabulary(size, rng)
        self.cumulative = zipf_cumulative(len(self.words))
        # Bodies are drawn from a pool of sentences (6-20 Zipf-drawn words each): drawing every word of a million
        # articles one by one would make generation, not loading, the slow part. With 300,000 sentences and ~25 a
        # body, a sentence recurs in about one article of 12,000 at the 1M size; word frequencies stay Zipf.
        self.pool = [self.sentence(rng, rng.randint(6, 20)) for _ in range(sentences)]
        self.pool_ids = range(len(self.pool))  # rng.choices over it draws what rng.choices over the pool draws
        # A body's stemmed document (the stemmed FTS5 index) is its sentences' stems joined: each pool sentence is
        # stemmed once, each distinct word once, instead of every version's whole text through the SQL function.
        self.stems: dict[str, str] = {}
        self.pool_stems: list[str] = []  # filled on the first stemmed document (PostgreSQL stems in the server)
        # Title words: skip the function words so titles look like headlines.
        self.heading_words = self.words[len(FUNCTION_WORDS):]
        self.heading_cumulative = zipf_cumulative(len(self.heading_words), 0.9)

    def _draw(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=k)

    def title(self, rng: random.Random) -> str:
        words = rng.choices(self.heading_words, cum_weights=self.heading_cumulative, k=rng.randint(4, 9))
        return " ".join(words)

    def sentence(self, rng: random.Random, n: int) -> str:
        words = self._draw(rng, n)
        return words[0][:1].upper() + words[0][1:] + " " + " ".join(words[1:]) + "."

    def paragraphs(self, rng: random.Random, words: int) -> list[list[int]]:
        """About ``words`` words: sentences from the pool (their indexes), four to six a paragraph."""
        chosen = rng.choices(self.pool_ids, k=max(1, words // 13))
        size = rng.randint(4, 6)
        return [chosen[at:at + size] for at in range(0, len(chosen), size)]

    def paragraph_text(self, sentences: list[int]) -> str:
        pool = self.pool
        return " ".join([pool[n] for n in sentences])

    def stemmed(self, text: str) -> str:
        """``stemming.stem_document(text)``, each word stemmed once for the whole build."""
        stems = self.stems
        out = []
        for word in stemming.words_of(text.lower()):
            stem = stems.get(word)
            if stem is None:
                stem = stems[word] = " ".join(stemming.stem_words([word]))
            if stem:
                out.append(stem)
        return " ".join(out)

    def stemmed_document(self, title: str, lead: str | None, paragraphs: list[list[int]]) -> str:
        """``stemming.stem_document(title, lead, text)`` for a text made of pool sentences."""
        if not self.pool_stems:
            self.pool_stems = [self.stemmed(sentence) for sentence in self.pool]
        pool_stems = self.pool_stems
        parts = [self.stemmed(title), self.stemmed(lead or ""),
                 *[pool_stems[n] for sentences in paragraphs for n in sentences]]
        return " ".join([part for part in parts if part])


def weighted_index(rng: random.Random, cumulative: Sequence[float]) -> int:
    return bisect(cumulative, rng.random() * cumulative[-1])
