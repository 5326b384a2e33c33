"""The Redis side of a distributed run, with no Scrapy in it: run keys, leases, heartbeats, status.

scrapy-redis shares the request queue (a sorted set) and the duplicate filter (a set of
fingerprints). What it does not do is survive a worker that dies with requests it has popped:
those would be gone for good. Here a pop moves the request, atomically (one Lua script), into the
worker's lease hash; the worker acknowledges it once the response is handled and its rows are
committed. A worker whose heartbeat key has expired is dead, and any other worker (or the same
one restarted) moves its leases back into the queue.

Keys, all under ``archiver:run:<run id>:``: ``requests`` (zset, scrapy-redis), ``dupefilter`` (set),
``info`` (hash: spider, host, started, the run's response total, shared values),
``workers`` (set of worker ids), ``worker:<id>`` (heartbeat JSON, expires), ``leases:<id>`` (hash
token → "score|encoded request"), ``seed`` (who seeds: ``running:<id>`` or ``done``).
``archiver:current:<spider>:<host>`` names the run that workers started with the same command join.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import redis

from ...exceptions import ConfigurationError

REDIS_SCHEMES = ("redis", "rediss", "unix")
CURRENT_PREFIX = "archiver:current:"

# One round trip of a worker with the shared queue. First each staged request (ARGV[2..], three values each:
# fingerprint, score, encoded request) is queued if its fingerprint is new to the run's set (an empty
# fingerprint: always). Then the ARGV[1] best-scored requests are leased to the worker: moved into its lease
# hash, not dropped. Each step is atomic: a worker killed in between would otherwise leave a fingerprint whose
# request nobody fetches, or lose the requests it popped. Returns {added flags, {token, request, ...}}.
EXCHANGE = """
local added = {}
for i = 2, #ARGV, 3 do
  if ARGV[i] == '' or redis.call('SADD', KEYS[3], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i + 2])
    added[#added + 1] = 1
  else
    added[#added + 1] = 0
  end
end
local leased = {}
local count = tonumber(ARGV[1])
if count > 0 then
  local items = redis.call('ZRANGE', KEYS[1], 0, count - 1, 'WITHSCORES')
  for i = 1, #items, 2 do
    redis.call('ZREM', KEYS[1], items[i])
    local token = redis.sha1hex(items[i])
    redis.call('HSET', KEYS[2], token, items[i + 1] .. '|' .. items[i])
    leased[#leased + 1] = token
    leased[#leased + 1] = items[i]
  end
end
return {added, leased}
"""

# Give a dead worker's leases back to the queue; refuses (-1) while its heartbeat is alive.
RECLAIM = """
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  local value = entries[i + 1]
  local sep = string.find(value, '|', 1, true)
  redis.call('ZADD', KEYS[1], tonumber(string.sub(value, 1, sep - 1)), string.sub(value, sep + 1))
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[4], ARGV[1])
return #entries / 2
"""

# An image's claim (the run's images hash: image key -> worker, or 'done' once archived): free, held by this worker
# (a process before it stopped with this id), or by a worker that has died before archiving it.
CLAIM_IMAGE = """
local holder = redis.call('HGET', KEYS[1], ARGV[1])
if holder == 'done' then return 0 end
if holder and holder ~= ARGV[2] and redis.call('EXISTS', ARGV[3] .. holder) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""

# The seeding claim: free, or held by a worker that has died (its seeds may be incomplete).
CLAIM_SEED = """
local holder = redis.call('GET', KEYS[1])
if holder == 'done' then return 0 end
if holder then
  local owner = string.sub(holder, 9)
  if redis.call('EXISTS', ARGV[2] .. owner) == 1 then return 0 end
end
redis.call('SET', KEYS[1], 'running:' .. ARGV[1])
return 1
"""


def lease_token(encoded_request: bytes) -> str:
    """The token EXCHANGE gives a request (Redis' sha1hex of its encoded form)."""
    return hashlib.sha1(encoded_request).hexdigest()


def connect(url: str, timeout: float = 5.0) -> redis.Redis:
    """A client for ``url`` that has answered a PING, or ConfigurationError with one clear line."""
    parts = urlsplit(url)
    if parts.scheme not in REDIS_SCHEMES:
        raise ConfigurationError(f"--redis-url must be a redis://, rediss:// or unix:// URL, got {url!r}")
    database = parts.path.strip("/")
    if parts.scheme != "unix" and database and not database.isdigit():
        raise ConfigurationError(f"the Redis database in --redis-url must be a number, got {database!r}")
    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        client.ping()
    except (redis.RedisError, ValueError) as error:
        raise ConfigurationError(f"Redis at {_redacted(url)} is not usable: {error}") from None
    return client


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


@dataclass(frozen=True)
class Push:
    """A request for the shared queue: its fingerprint (None: queued even if seen), score, encoded form."""

    fingerprint: str | None
    score: float
    request: bytes


@dataclass(frozen=True)
class RunKeys:
    run_id: str

    @property
    def prefix(self) -> str:
        return f"archiver:run:{self.run_id}:"

    @property
    def requests(self) -> str:
        return self.prefix + "requests"

    @property
    def dupefilter(self) -> str:
        return self.prefix + "dupefilter"

    @property
    def workers(self) -> str:
        return self.prefix + "workers"

    @property
    def images(self) -> str:
        return self.prefix + "images"

    @property
    def seed(self) -> str:
        return self.prefix + "seed"

    @property
    def info(self) -> str:
        return self.prefix + "info"

    def heartbeat(self, worker: str) -> str:
        return f"{self.prefix}worker:{worker}"

    def leases(self, worker: str) -> str:
        return f"{self.prefix}leases:{worker}"


@dataclass
class WorkerStatus:
    worker: str
    alive: bool
    leases: int
    progress: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunStatus:
    run_id: str
    spider: str
    host: str
    started: str
    queued: int
    seen: int
    seeding: str
    workers: list[WorkerStatus]
    responses: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "spider": self.spider, "host": self.host, "started": self.started,
                "queued": self.queued, "seen": self.seen, "seeding": self.seeding,
                "responses": self.responses,
                "workers": [vars(w) for w in self.workers]}


class Coordinator:
    """One worker's view of a distributed run."""

    def __init__(self, client: redis.Redis, keys: RunKeys, worker: str, heartbeat_ttl: float = 30.0) -> None:
        self.client = client
        self.keys = keys
        self.worker = worker
        self.heartbeat_ttl = heartbeat_ttl
        self.run_seen = False  # whether this worker has seen the run's info hash (seeding_state)
        self.seeder: bool | None = None  # whether this worker claimed the seeding (asked once per crawl)
        self._exchange = client.register_script(EXCHANGE)
        self._reclaim = client.register_script(RECLAIM)
        self._claim_seed = client.register_script(CLAIM_SEED)
        self._claim_image = client.register_script(CLAIM_IMAGE)

    @classmethod
    def join(cls, client: redis.Redis, spider: str, host: str, worker: str, heartbeat_ttl: float = 30.0,
             run_id: str | None = None) -> tuple[Coordinator, bool]:
        """Join the run in progress for (spider, host), or start a new one. Returns (coordinator, started)."""
        current = current_key(spider, host)
        started = False
        if run_id is None:
            fresh = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
            started = bool(client.set(current, fresh, nx=True))
            raw = client.get(current)
            if raw is None:  # the run finished between SET and GET: start another
                client.set(current, fresh)
                raw, started = fresh.encode(), True
            run_id = _text(raw)
        keys = RunKeys(run_id)
        if started:
            client.hset(keys.info, mapping={"spider": spider, "host": host, "started": _utc_now()})
        coordinator = cls(client, keys, worker, heartbeat_ttl)
        coordinator.beat({"state": "joining"})
        client.sadd(keys.workers, worker)
        return coordinator, started

    # --- liveness ------------------------------------------------------------------------------------
    def beat(self, progress: dict[str, Any]) -> None:
        payload = {"worker": self.worker, "beat": _utc_now(), **progress}
        pipe = self.client.pipeline()
        pipe.set(self.keys.heartbeat(self.worker), json.dumps(payload), px=int(self.heartbeat_ttl * 1000))
        # A worker starved of CPU past its heartbeat was taken for dead and struck from the run; it is alive, so it
        # counts again: else the others' last one would remove the run's keys under it.
        pipe.sadd(self.keys.workers, self.worker)
        pipe.execute()

    def reclaim_dead(self) -> dict[str, int]:
        """Move the leases of every worker whose heartbeat expired back to the queue."""
        reclaimed: dict[str, int] = {}
        for raw in self.client.smembers(self.keys.workers):  # type: ignore[union-attr]
            other = _text(raw)
            if other == self.worker:
                continue
            count = int(self._reclaim(keys=[self.keys.requests, self.keys.leases(other),  # type: ignore[arg-type]
                                            self.keys.heartbeat(other), self.keys.workers], args=[other]))
            if count >= 0:
                reclaimed[other] = count
        return reclaimed

    def reclaim_own(self) -> int:
        """Leases a previous process with this worker id left behind (it was killed)."""
        keys = [self.keys.requests, self.keys.leases(self.worker), self.keys.prefix + "no-heartbeat",
                self.keys.prefix + "no-workers"]
        return int(self._reclaim(keys=keys, args=[self.worker]))  # type: ignore[arg-type]

    # --- queue ---------------------------------------------------------------------------------------
    def pop(self) -> tuple[str, bytes] | None:
        leased = self.exchange([], 1)[1]
        return leased[0] if leased else None

    def exchange(self, pushes: Sequence[Push], lease: int) -> tuple[list[bool], list[tuple[str, bytes]]]:
        """Queue each push whose fingerprint is new to the run, then lease up to ``lease`` of the best requests.

        Returns whether each push was queued, and the leases as (token, encoded request), best first.
        """
        args: list[Any] = [lease]
        for push in pushes:
            args += [push.fingerprint or "", push.score, push.request]
        added, leased = self._exchange(keys=[self.keys.requests, self.keys.leases(self.worker), self.keys.dupefilter],
                                       args=args)  # type: ignore[misc]
        return ([bool(flag) for flag in added],
                [(_text(leased[i]), bytes(leased[i + 1])) for i in range(0, len(leased), 2)])

    def ack(self, tokens: Iterable[str]) -> None:
        batch = list(tokens)
        if batch:
            self.client.hdel(self.keys.leases(self.worker), *batch)

    def release(self, tokens: Iterable[str]) -> int:
        """Give leases back to the queue (a worker stopping before it handled them)."""
        key = self.keys.leases(self.worker)
        count = 0
        for token in tokens:
            value = self.client.hget(key, token)
            if value is None:
                continue
            score, _, data = bytes(value).partition(b"|")  # type: ignore[arg-type]
            pipe = self.client.pipeline()
            pipe.zadd(self.keys.requests, {data: float(score)})
            pipe.hdel(key, token)
            pipe.execute()
            count += 1
        return count

    def queued(self) -> int:
        return int(self.client.zcard(self.keys.requests))  # type: ignore[arg-type]

    def leased_elsewhere(self) -> int:
        """Requests other live workers hold: they may still produce new requests."""
        total = 0
        for raw in self.client.smembers(self.keys.workers):  # type: ignore[union-attr]
            other = _text(raw)
            if other != self.worker:
                total += int(self.client.hlen(self.keys.leases(other)))  # type: ignore[arg-type]
        return total

    # --- seeding -------------------------------------------------------------------------------------
    def claim_seeding(self) -> bool:
        return bool(self._claim_seed(keys=[self.keys.seed], args=[self.worker, self.keys.prefix + "worker:"]))

    # --- images, fetched beside the shared queue (archiver.crawl.images) -----------------------------------
    def claim_image(self, key: bytes) -> bool:
        return bool(self._claim_image(keys=[self.keys.images], args=[key, self.worker, self.keys.prefix + "worker:"]))

    def image_done(self, key: bytes) -> None:
        self.client.hset(self.keys.images, key, "done")  # type: ignore[arg-type]

    def seeding_done(self) -> None:
        self.client.set(self.keys.seed, "done")

    def seeding_state(self) -> str:
        """The seeding worker's state; "run removed" once the run's last worker removed its keys (a worker that
        was taken for dead finds the run gone, and must not wait for a seeding that will never start)."""
        raw = self.client.get(self.keys.seed)
        if raw:
            return _text(raw)
        # Only a run once seen can be gone: a worker may join before the first one has written the run's info.
        if self.client.exists(self.keys.info):
            self.run_seen = True
        elif self.run_seen:
            return "run removed"
        return "not started"

    # --- values the seeding worker shares (the site's REST taxonomies) ------------------------------------
    def share(self, name: str, value: Any) -> None:
        self.client.hset(self.keys.info, f"shared:{name}", json.dumps(value))

    def shared(self, name: str) -> Any:
        raw = self.client.hget(self.keys.info, f"shared:{name}")
        return None if raw is None else json.loads(raw)  # type: ignore[arg-type]

    # --- the run's own totals (a worker alone may fetch nothing and still be part of a good run) ----------
    def add_responses(self, count: int) -> int:
        """Add this worker's new responses to the run's total; returns the total."""
        return int(self.client.hincrby(self.keys.info, "responses", count))  # type: ignore[arg-type]

    # --- leaving -------------------------------------------------------------------------------------
    def leave(self, finished: bool) -> bool:
        """Unregister; the last worker of a finished run removes the run's keys. True if it did."""
        self.client.delete(self.keys.heartbeat(self.worker))
        self.client.srem(self.keys.workers, self.worker)
        if not finished or self.client.scard(self.keys.workers) or self.queued():
            return False
        info = self.client.hgetall(self.keys.info)
        spider = (info.get(b"spider") or b"").decode()  # type: ignore[union-attr]
        host = (info.get(b"host") or b"").decode()  # type: ignore[union-attr]
        current = current_key(spider, host)
        if self.client.get(current) in (self.keys.run_id.encode(), self.keys.run_id):
            self.client.delete(current)
        stale = list(self.client.scan_iter(match=self.keys.prefix + "*"))
        if stale:
            self.client.delete(*stale)
        return True


def current_key(spider: str, host: str) -> str:
    return f"{CURRENT_PREFIX}{spider}:{host}"


def run_status(client: redis.Redis) -> list[RunStatus]:
    """Every run in progress on this Redis, for ``archiver status``."""
    runs = []
    for key in sorted(client.scan_iter(match=CURRENT_PREFIX + "*")):
        raw = client.get(key)
        if raw is None:
            continue
        keys = RunKeys(_text(raw))
        info = {_text(k): _text(v) for k, v in client.hgetall(keys.info).items()}  # type: ignore[union-attr]
        workers = []
        for member in sorted(client.smembers(keys.workers)):  # type: ignore[union-attr]
            worker = _text(member)
            beat = client.get(keys.heartbeat(worker))
            progress = json.loads(beat) if beat else {}
            workers.append(WorkerStatus(worker, beat is not None, int(client.hlen(keys.leases(worker))),  # type: ignore[arg-type]
                                        progress))
        seed = client.get(keys.seed)
        runs.append(RunStatus(keys.run_id, info.get("spider", "?"), info.get("host", "?"), info.get("started", "?"),
                              int(client.zcard(keys.requests)), int(client.scard(keys.dupefilter)),  # type: ignore[arg-type]
                              _text(seed) if seed else "not started", workers,  # type: ignore[arg-type]
                              int(info.get("responses", 0))))
    return runs


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


__all__ = ["Coordinator", "Push", "RunKeys", "RunStatus", "connect", "lease_token", "run_status"]
