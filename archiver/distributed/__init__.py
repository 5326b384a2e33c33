"""Coordination of many crawler processes through Redis (scrapy-redis queue and duplicate filter)."""
