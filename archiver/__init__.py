"""archiver: archive WordPress news sites into WARC files and a research database."""

__version__ = "0.1.0"
