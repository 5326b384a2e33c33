"""Replay of the archive's own WARC files through pywb, run as a child process of ``archiver serve``.

pywb is the reference replay of the web-archiving community (URL rewriting, its client-side wombat, a
Content-Security-Policy that keeps an archived page from reaching the live web); it pins libraries that clash with
the crawler's, so it runs from its own virtual environment (``make .venv-pywb/.installed``) and ``serve`` routes
``/replay/…`` and pywb's ``/static/…`` to it (``archiver.replay`` is the address scheme). Its collection is called
``replay`` so pywb's own paths are the archive's replay paths.

The index is one CDXJ file per WARC file in a cache directory, rewritten when its WARC file changes size, so a
scheduled job's new files become replayable while ``serve`` runs. A file still being written (``.warc.gz.open``)
is replayable once it is closed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

from ..exceptions import ArchiverError
from ..warc.package import cdxj_index

COLLECTION = "replay"
PYWB_VARIABLE = "ARCHIVER_PYWB"
# Seconds between looks for new or grown WARC files.
REFRESH_SECONDS = 60.0
PROJECT_PYWB = Path(__file__).resolve().parents[2] / ".venv-pywb" / "bin" / "wayback"


def find_wayback() -> str | None:
    """pywb's ``wayback`` server: $ARCHIVER_PYWB, the checkout's .venv-pywb, or one on PATH."""
    configured = os.environ.get(PYWB_VARIABLE)
    if configured:
        return configured if Path(configured).exists() else None
    if PROJECT_PYWB.exists():
        return str(PROJECT_PYWB)
    return shutil.which("wayback")


def index_directory(warc_dir: Path) -> Path:
    """The per-archive index cache ($XDG_CACHE_HOME/archiver/replay-index/<digest of the WARC directory>)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(warc_dir.resolve()).encode()).hexdigest()[:16]
    return cache / "archiver" / "replay-index" / digest


class ReplayIndex:
    """One sorted CDXJ file per closed WARC file, kept in step with the directory."""

    def __init__(self, warc_dir: Path, directory: Path) -> None:
        self.warc_dir = warc_dir
        self.directory = directory

    def refresh(self) -> int:
        """Index new and grown WARC files, drop the indexes of vanished ones; the number of files indexed."""
        self.directory.mkdir(parents=True, exist_ok=True)
        done = 0
        present = set()
        for warc in sorted(self.warc_dir.glob("*.warc.gz")):
            present.add(warc.name)
            target = self.directory / f"{warc.name}.cdxj"
            size = str(warc.stat().st_size)
            stamp = self.directory / f"{warc.name}.size"
            if target.exists() and stamp.exists() and stamp.read_text() == size:
                continue
            partial = target.with_suffix(".partial")
            partial.write_text(cdxj_index([warc]), encoding="utf-8")
            os.replace(partial, target)
            stamp.write_text(size)
            done += 1
        for stale in self.directory.glob("*.cdxj"):
            if stale.name.removesuffix(".cdxj") not in present:
                stale.unlink()
        return done


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PywbReplay:
    """pywb on a private loopback port, serving collection ``replay`` from the WARC directory."""

    def __init__(self, wayback: str, warc_dir: Path, index: ReplayIndex, run_dir: Path) -> None:
        self.wayback = wayback
        self.warc_dir = warc_dir
        self.index = index
        self.run_dir = run_dir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> str:
        # JSON is YAML: no YAML writer needed. framed_replay: pywb's top frame carries its banner (the capture
        # time), the archived page runs inside an iframe under the CSP pywb adds.
        import json

        return json.dumps({"collections": {COLLECTION: {
            "index_paths": str(self.index.directory) + "/", "archive_paths": str(self.warc_dir.resolve()) + "/"}},
            "framed_replay": True, "enable_memento": True})

    def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "config.yaml").write_text(self.config(), encoding="utf-8")
        self.index.refresh()
        self.process = subprocess.Popen([self.wayback, "--bind", "127.0.0.1", "--port", str(self.port)],
                                        cwd=self.run_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._refresher = threading.Thread(target=self._refresh_loop, name="replay-index", daemon=True)
        self._refresher.start()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ArchiverError(f"pywb ({self.wayback}) exited with {self.process.returncode} at start")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise ArchiverError(f"pywb ({self.wayback}) did not answer on port {self.port} within {timeout:.0f} s")

    def _refresh_loop(self) -> None:
        while not self._stop.wait(REFRESH_SECONDS):
            self.index.refresh()

    def stop(self) -> None:
        self._stop.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
