"""Distributed runs: many crawler processes, one queue in Redis (scrapy-redis), one database.

``coordinator`` talks to Redis only (leases, heartbeats, seeding, the run's shared values; the ``status`` command
reads it); ``shared_queue`` is the scrapy-redis scheduler, queue and duplicate filter over it; ``worker`` holds the
Scrapy add-on that turns a crawl into a worker, its extension (heartbeat, acknowledgements, closing when the whole
run is idle) and the seeding middleware. This module imports nothing, so reading a run's status loads no Scrapy.
"""
