"""The search syntax, one for both backends, turned into an FTS5 query (SQLite) and a tsquery (PostgreSQL).

Syntax (docs/schema.md): words (all must match), ``"a phrase"``, ``OR`` between alternatives, ``-word`` or
``NOT word`` to exclude, ``prefix*``. Every word is stemmed as PostgreSQL's ``german`` configuration stems it
(archiver/storage/stemming.py) and matches every indexed word that begins with its stem, so a plural finds
its singular (``Razzien`` → ``razzi*`` finds ``Razzia``) and a word its compounds (``Netz`` finds
``Netzpolitik``). A phrase matches its stems in order; an explicit ``prefix*`` is matched unstemmed. Stop words
(``und``, ``die``, …) are not indexed and are dropped from a query. ``AND`` binds tighter than ``OR``.

Both backends get the same parsed query, so they answer the same question; the translation emits only
stems made of letters and digits, so nothing the user typed reaches either parser unquoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..exceptions import ConfigurationError
from .stemming import stem_words, words_of

TOKEN = re.compile(r'"[^"]*"?|\S+')
FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


class BadQuery(ConfigurationError):
    """The search query cannot be parsed or has nothing to search for."""


@dataclass(frozen=True)
class Term:
    """A stemmed word matched as a prefix, an unstemmed prefix, or a phrase of stems (with their gaps)."""

    stems: tuple[str, ...]
    gaps: tuple[int, ...] = ()  # distance to the previous stem, stop words counted (PostgreSQL's positions)
    phrase: bool = False

    def fts5(self) -> str:
        if self.phrase:
            return '"' + " ".join(self.stems) + '"'
        return f'"{self.stems[0]}"*'

    def tsquery(self) -> str:
        if self.phrase:
            parts = [f"'{self.stems[0]}'"]
            parts += [f"<{gap}> '{stem}'" for stem, gap in zip(self.stems[1:], self.gaps, strict=True)]
            return "(" + " ".join(parts) + ")"
        return f"'{self.stems[0]}':*"


@dataclass
class Group:
    """Terms that must all match, and terms that must not."""

    required: list[Term] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedQuery:
    groups: tuple[Group, ...]

    def fts5(self) -> str:
        """The FTS5 MATCH expression over the stemmed column."""
        rendered = []
        for group in self.groups:
            text = "(" + " AND ".join(term.fts5() for term in group.required) + ")"
            rendered.append(text + "".join(f" NOT {term.fts5()}" for term in group.excluded))
        return " OR ".join(f"({text})" for text in rendered)

    def tsquery(self) -> str:
        """The to_tsquery('simple', …) expression: the stems are already PostgreSQL's German lexemes."""
        return " | ".join(
            "(" + " & ".join([term.tsquery() for term in group.required]
                             + [f"!{term.tsquery()}" for term in group.excluded]) + ")" for group in self.groups)

    def highlight_fts5(self) -> str:
        """Any required stem as a prefix: which words of the unstemmed text a snippet marks."""
        stems = {stem for group in self.groups for term in group.required for stem in term.stems}
        return " OR ".join(f'"{stem}"*' for stem in sorted(stems))


def _words(token: str) -> list[Term]:
    if token.endswith("*") and len(token) > 1:
        words = [w.lower().translate(FOLD) for w in words_of(token[:-1])]
        return [Term((word,)) for word in words]
    return [Term((stem,)) for stem in stem_words(words_of(token))]


def _phrase(body: str) -> list[Term]:
    stems: list[str] = []
    gaps: list[int] = []
    gap = 0
    for word in words_of(body):
        stemmed = stem_words([word])
        gap += 1
        if not stemmed:
            continue  # a stop word: PostgreSQL counts its position, so the next stem is one further away
        if stems:
            gaps.append(gap)
        stems.append(stemmed[0])
        gap = 0
    if not stems:
        return []
    return [Term(tuple(stems), tuple(gaps), phrase=True)]


def parse(query: str) -> ParsedQuery:
    """Parse the search syntax; a query with nothing to search for is a BadQuery."""
    groups: list[Group] = [Group()]
    negate = False
    for token in TOKEN.findall(query):
        if token == "OR":
            groups.append(Group())
            continue
        if token == "AND":
            continue
        if token == "NOT":
            negate = True
            continue
        if token.startswith("-") and len(token) > 1:
            negate, token = True, token[1:]
        if token.startswith('"'):
            if len(token) == 1 or not token.endswith('"'):
                raise BadQuery(f"the search query has an unterminated phrase: {token}")
            terms = _phrase(token[1:-1])
        else:
            terms = _words(token)
        (groups[-1].excluded if negate else groups[-1].required).extend(terms)
        negate = False
    if any(group.excluded and not group.required for group in groups):
        raise BadQuery("an excluded word (-word, NOT word) needs a word to search for beside it")
    kept = tuple(group for group in groups if group.required)
    if not kept:
        raise BadQuery("the search query has no word to search for (stop words such as 'und' or 'die' are not "
                       "indexed)")
    return ParsedQuery(kept)
