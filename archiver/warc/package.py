"""CDXJ indexes (cdxj-indexer) and WACZ packages (WACZ 1.1.1) of the archive's WARC files.

The WACZ writer is our own, not py-wacz (PyPI ``wacz``, 0.6.0 read): py-wacz has no library API, only its command
line (``create_wacz`` takes an argparse namespace and prints its progress to stdout); importing it imports
``frictionless`` (its validator, pulled in even to create a package) and ``boilerpy3``, dependencies the archiver has
no use for; and it indexes the WARC files itself into a compressed CDX (``index.cdx.gz`` plus ``index.idx``) with
its own page detection, where the archive's page list comes from the research database. Like py-wacz, the writer
streams each WARC file into the zip in chunks, hashing as it copies: memory stays flat whatever the file's size.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__

WACZ_VERSION = "1.1.1"
# Bytes of a WARC file read and written at a time.
CHUNK = 1 << 20


def cdxj_index(warcs: Sequence[Path]) -> str:
    """A sorted CDXJ index of the given files (URLs as SURT keys, 14-digit timestamps, file/offset/length)."""
    # Imported here: cdxj-indexer pulls in pyamf and pkg_resources, slow imports every CLI start (a crawl included)
    # paid when this module imported it at the top.
    from cdxj_indexer.main import CDXJIndexer

    output = io.StringIO()
    CDXJIndexer(output=output, inputs=[str(p) for p in warcs], sort=True).process_all()
    return output.getvalue()


def write_wacz(output: Path, warcs: Sequence[Path], pages: Iterable[dict[str, Any]],
               title: str = "archiver collection") -> None:
    """Package WARC files with their index and a pages list into a WACZ (readable by ReplayWeb.page)."""
    index = cdxj_index(warcs)
    lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "Archived articles"})]
    lines += [json.dumps(page, ensure_ascii=False) for page in pages]
    files: dict[str, bytes] = {"indexes/index.cdxj": index.encode(),
                               "pages/pages.jsonl": ("\n".join(lines) + "\n").encode()}
    resources = []
    with zipfile.ZipFile(output, "w", allowZip64=True) as archive:
        for warc in warcs:
            resources.append(_store_file(archive, f"archive/{warc.name}", warc))
        for name, data in files.items():
            archive.writestr(name, data, zipfile.ZIP_DEFLATED)
            resources.append(_resource(name, hashlib.sha256(data).hexdigest(), len(data)))
        package = {"profile": "data-package", "wacz_version": WACZ_VERSION, "title": title,
                   "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "software": f"archiver {__version__}", "resources": resources}
        package_bytes = json.dumps(package, indent=1).encode()
        archive.writestr("datapackage.json", package_bytes, zipfile.ZIP_DEFLATED)
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
        archive.writestr("datapackage-digest.json", json.dumps(digest).encode(), zipfile.ZIP_DEFLATED)


def _store_file(archive: zipfile.ZipFile, name: str, source: Path) -> dict[str, Any]:
    """Copy a file into the zip uncompressed (WARC files are gzipped already), CHUNK bytes at a time, hashing as it
    goes. ZIP64 from the start: the size is unknown to the entry's header until the copy ends."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, archive.open(info, "w", force_zip64=True) as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return _resource(name, digest.hexdigest(), size)


def _resource(name: str, sha256: str, size: int) -> dict[str, Any]:
    return {"name": Path(name).name, "path": name, "hash": "sha256:" + sha256, "bytes": size}
