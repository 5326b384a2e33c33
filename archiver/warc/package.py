"""CDXJ indexes (cdxj-indexer) and WACZ packages (WACZ 1.1.1) of the archive's WARC files."""

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
    with zipfile.ZipFile(output, "w") as archive:
        for warc in warcs:
            data = warc.read_bytes()
            name = f"archive/{warc.name}"
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_STORED)
            resources.append(_resource(name, data))
        for name, data in files.items():
            archive.writestr(name, data, zipfile.ZIP_DEFLATED)
            resources.append(_resource(name, data))
        package = {"profile": "data-package", "wacz_version": WACZ_VERSION, "title": title,
                   "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "software": f"archiver {__version__}", "resources": resources}
        package_bytes = json.dumps(package, indent=1).encode()
        archive.writestr("datapackage.json", package_bytes, zipfile.ZIP_DEFLATED)
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
        archive.writestr("datapackage-digest.json", json.dumps(digest).encode(), zipfile.ZIP_DEFLATED)


def _resource(name: str, data: bytes) -> dict[str, Any]:
    return {"name": Path(name).name, "path": name, "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
            "bytes": len(data)}
