"""The optional Redis connection (rate limits and shared state when ``REDIS_URL`` is set)."""
from __future__ import annotations

from functools import lru_cache

import redis


@lru_cache(maxsize=4)
def client(url: str) -> redis.Redis:
    # A connection pool per URL and process; it holds sockets, not application state.
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def redis_ok(url: str) -> bool:
    try:
        return bool(client(url).ping())
    except redis.RedisError:
        return False
