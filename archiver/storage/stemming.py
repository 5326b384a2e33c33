"""German stemming for SQLite full-text search, the way PostgreSQL's ``german`` configuration does it.

PostgreSQL's ``german`` configuration lower-cases each word, drops the Snowball German stop words and
stems the rest with the Snowball German stemmer; words with digits are kept whole. SQLite has no stemmer, so
the archive keeps a second FTS5 table (``article_search_stemmed``) whose one column holds each version's
title, lead and text already stemmed by :func:`stem_document`, and a query is stemmed the same way
(``archiver/storage/query_syntax.py``). The stemmer is PyStemmer (Snowball's own C code): it yields the
same stems as PostgreSQL, which ``tests/test_search_stemming.py`` holds on both backends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

# The Snowball German stop word list, as PostgreSQL ships it (tsearch_data/german.stop, from the Snowball
# project, BSD licence); tests/test_search_stemming.py checks each against PostgreSQL's own dictionary.
_STOP_WORDS = """
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm andern
anderr anders auch auf aus bei bin bis bist da damit dann der den des dem die das daß derselbe derselben
denselben desselben demselben dieselbe dieselben dasselbe dazu dein deine deinem deinen deiner deines denn derer
dessen dich dir du dies diese diesem diesen dieser dieses doch dort durch ein eine einem einen einer eines einig
einige einigem einigen einiger einiges einmal er ihn ihm es etwas euer eure eurem euren eurer eures für gegen
gewesen hab habe haben hat hatte hatten hier hin hinter ich mich mir ihr ihre ihrem ihren ihrer ihres euch im in
indem ins ist jede jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine keinem keinen keiner
keines können könnte machen man manche manchem manchen mancher manches mein meine meinem meinen meiner meines mit
muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein seine seinem seinen seiner seines selbst sich
sie ihnen sind so solche solchem solchen solcher solches soll sollte sondern sonst über um und uns unse unsem
unsen unser unses unter viel vom von vor während war waren warst was weg weil weiter welche welchem welchen
welcher welches wenn werde werden wie wieder will wir wird wirst wo wollen wollte würde würden zu zum zur zwar
zwischen
"""
GERMAN_STOP_WORDS = frozenset(_STOP_WORDS.split())

# A word: letters and digits (PostgreSQL's parser splits at the same places for ordinary prose: spaces,
# punctuation, hyphens, apostrophes).
WORD = re.compile(r"[^\W_]+")
SQL_FUNCTION = "archiver_stem_de"


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("german")


def stem_words(words: list[str]) -> list[str]:
    """Each word's index form, stop words dropped: lower case, stemmed unless it holds a digit."""
    return _stem_lowered(list(map(str.lower, words)))


def _stem_lowered(words: list[str]) -> list[str]:
    kept = [word for word in words if word not in GERMAN_STOP_WORDS]
    # A word of WORD that is not all letters holds a digit (isalpha is the fast test).
    if all(map(str.isalpha, kept)):
        return list(_stemmer().stemWords(kept))
    stems = iter(_stemmer().stemWords([word for word in kept if word.isalpha()]))
    return [next(stems) if word.isalpha() else word for word in kept]


def words_of(text: str) -> list[str]:
    return WORD.findall(text)


def stem_document(*parts: str | None) -> str:
    """The stemmed text FTS5 indexes for a version: its parts' words, stemmed, space-separated."""
    return " ".join(_stem_lowered(words_of(" ".join(part for part in parts if part).lower())))


Document = tuple[str | None, str | None, str | None]  # title, lead, text: what the triggers pass
# Stems computed ahead for documents about to be written (see ``stems_given``), by the exact arguments the
# triggers will pass.
_given: dict[Document, str] = {}


@contextmanager
def stems_given(stems: Iterable[tuple[Document, str]]) -> Iterator[None]:
    """While the block writes, the triggers take these documents' stems as given instead of stemming them again.

    ``archiver reparse`` and ``reextract`` have one writer and several worker processes: the workers stem what
    they extracted, so the writer, the one process every article passes through, does not. Each stem is looked up
    by the very title, lead and text the trigger passes, so a document written in any other form is stemmed
    afresh: a stem given here can only ever be the one ``stem_document`` returns for it, or unused."""
    _given.update(stems)
    try:
        yield
    finally:
        _given.clear()


def _stem_for_trigger(title: str | None, lead: str | None, text: str | None) -> str:
    given = _given.get((title, lead, text)) if _given else None
    return stem_document(title, lead, text) if given is None else given


def register(dbapi_connection: Any) -> None:
    """Make ``archiver_stem_de(title, lead, text)`` callable in SQL on a sqlite3 connection (the FTS triggers)."""
    dbapi_connection.create_function(SQL_FUNCTION, 3, _stem_for_trigger, deterministic=True)

