"""Worker processes for the CPU-heavy part of ``archiver reparse`` and ``reextract``, results in task order.

The callers keep one writer (their own process): workers read and extract, the writer stores what they return in
the order the tasks were given, so a run with N workers writes exactly what a run with one writes. At most a few
tasks per worker are in flight, so a writer slower than its workers holds a bounded number of results. An
exception raised in a worker reaches the writer as itself; a worker that dies (killed, out of memory, crashed)
fails the run with ``WorkerCrashed``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from itertools import islice
from typing import Any, TypeVar

from .exceptions import ConfigurationError, WorkerCrashed

Task = TypeVar("Task")
Result = TypeVar("Result")
IN_FLIGHT_PER_WORKER = 4  # results held ahead of the one the writer waits for: a slow task stalls no worker
# Workers run this much nicer than the writer. With as many workers as cores, the writer shares a core with one: at
# an equal share it fell behind, and at the end wrote the results held ahead alone while the workers' cores idled.
# Nicer workers take only what the writer leaves, so it keeps up and the run ends with the last range's writes.
WORKER_NICENESS = 10


def default_workers() -> int:
    """The cores this process may run on (its affinity mask, which a container or ``taskset`` narrows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity masks on this platform
        return os.cpu_count() or 1


def check_workers(workers: int) -> int:
    if workers < 1:
        raise ConfigurationError(f"--workers must be 1 or more, got {workers}")
    return workers


def _context() -> Any:
    # fork starts a worker without importing the extractor again and hands it the caller's shared state (the
    # article set, the REST index) without pickling; where there is no fork, spawn pickles the initializer's arguments.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _start_worker(initializer: Callable[..., None] | None, *initargs: Any) -> None:
    # Ctrl-C reaches the whole process group: the caller stops its workers itself, without a traceback from each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with suppress(OSError):  # a sandbox may refuse it: a worker at the writer's priority is slower, not wrong
        os.nice(WORKER_NICENESS)
    if initializer is not None:
        initializer(*initargs)


def ordered_map(function: Callable[[Task], Result], tasks: Iterable[Task], workers: int, what: str,
                initializer: Callable[..., None] | None = None,
                initargs: tuple[Any, ...] = ()) -> Generator[Result, None, None]:
    """``function`` over ``tasks`` in ``workers`` processes (one: in this process), results in task order.

    ``initializer(*initargs)`` runs once in each worker before its first task; ``what`` names the job in the
    message of a crashed worker."""
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(function, tasks)
        return
    pending = iter(tasks)
    window: deque[Future[Result]] = deque()
    pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start_worker,
                               initargs=(initializer, *initargs))
    try:
        for task in islice(pending, workers * IN_FLIGHT_PER_WORKER):
            window.append(pool.submit(function, task))
        while window:
            result = window.popleft().result()
            for task in islice(pending, 1):
                window.append(pool.submit(function, task))
            yield result
    except BrokenProcessPool:  # from a result or from submitting to a pool a worker has left
        raise WorkerCrashed(f"{what}: a worker process died (killed, out of memory or crashed); what was written "
                            f"before stays: run it again (with fewer --workers if memory is short)") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
