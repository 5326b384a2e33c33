"""The archiver's one exception tree."""

from __future__ import annotations


class ArchiverError(Exception):
    """Base of every error the archiver raises on purpose."""


class ConfigurationError(ArchiverError):
    """A setting, argument or URL is invalid; the CLI answers with exit code 2."""


class ArchiveNotFound(ConfigurationError):
    """A command that reads the archive was pointed at a database that does not exist."""


class ExtractionError(ArchiverError):
    """A page could not be turned into an article item (not an article, or a required field missing)."""

    def __init__(self, reason: str, layout: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.layout = layout


class NotAnArticle(ExtractionError):
    """The page matched no known article layout."""


class StorageError(ArchiverError):
    """The database could not be reached, migrated or written."""


class DatabaseUnavailable(StorageError):
    """The database takes no writes at all (disk full, connection lost, read-only): stop, do not skip items."""


class DatabaseDisconnected(DatabaseUnavailable):
    """The connection to the database server was lost or refused: a restart, worth waiting for a while."""


class DatabaseUnreachable(DatabaseUnavailable):
    """The database URL is malformed or its server does not answer."""


class WarcError(ArchiverError):
    """Writing or reading a WARC file failed."""


class WarcFormatError(WarcError):
    """A WARC file is structurally invalid."""


class RecordRangeMismatch(WarcError):
    """A range of a WARC file was cut where no record starts (the file is then read as one range)."""


class WorkerCrashed(ArchiverError):
    """A worker process of a parallel reparse or re-extraction died (killed, out of memory, crashed)."""


class RunLocked(ArchiverError):
    """Another run holds this archive's lock."""


class DistributedError(ArchiverError):
    """The Redis coordination of a distributed run failed."""
