"""A small HTTP/1.1 load generator on asyncio, run as its own process so that the load does
not share the server's interpreter. Prints one JSON object with counts and latencies.

    python -m bench.load closed --url http://127.0.0.1:8000/healthz --clients 32 --seconds 5
    python -m bench.load burst --requests FILE.json      # one request per line, all at once
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlsplit


class Connection:
    """One keep-alive connection; reconnects when the server closes it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict | None = None,
                      body: bytes = b"") -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                     f"Content-Length: {len(body)}"]
            lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
            try:
                self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await self.writer.drain()
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")

    async def _response(self) -> tuple[int, bytes]:
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
        if chunked:
            body = bytearray()
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                body += await self.reader.readexactly(size + 2)
                del body[-2:]
            payload = bytes(body)
        else:
            payload = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def closed_loop(url: str, clients: int, seconds: float, method: str, headers: dict,
                      bodies: list[bytes] | None) -> dict:
    """``clients`` connections each sending requests back to back for ``seconds``."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def client():
        conn = Connection(parts.hostname, parts.port or 80)
        while time.perf_counter() < deadline:
            body = bodies[next(counter) % len(bodies)] if bodies else b""
            started = time.perf_counter()
            try:
                status, _ = await conn.request(method, path, headers, body)
            except (OSError, asyncio.IncompleteReadError):
                status = 599
                conn.close()
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "elapsed": elapsed, "rps": len(latencies) / elapsed,
            "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "statuses": statuses}


async def burst(base: str, requests: list[dict]) -> dict:
    """Every request on its own connection, all started together; each answer is kept."""
    parts = urlsplit(base)
    started = time.perf_counter()

    async def one(spec):
        conn = Connection(parts.hostname, parts.port or 80)
        t0 = time.perf_counter()
        try:
            status, payload = await conn.request(spec["method"], spec["path"], spec.get("headers"),
                                                 spec.get("body", "").encode())
        except (OSError, asyncio.IncompleteReadError) as error:
            status, payload = 599, str(error).encode()
        finally:
            conn.close()
        return status, payload, time.perf_counter() - t0

    results = await asyncio.gather(*(one(spec) for spec in requests))
    elapsed = time.perf_counter() - started
    statuses: dict[int, int] = {}
    errors: dict[str, int] = {}
    for status, payload, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
        if 400 <= status < 500:
            try:
                code = json.loads(payload).get("error", "?")
            except ValueError:
                code = "?"
            errors[code] = errors.get(code, 0) + 1
    latencies = [r[2] for r in results]
    return {"requests": len(results), "elapsed": elapsed, "statuses": statuses, "errors": errors,
            "max_ms": max(latencies) * 1000, "p50_ms": percentile(latencies, 50) * 1000,
            "p95_ms": percentile(latencies, 95) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    closed = sub.add_parser("closed")
    closed.add_argument("--url", required=True)
    closed.add_argument("--clients", type=int, default=32)
    closed.add_argument("--seconds", type=float, default=5)
    closed.add_argument("--method", default="GET")
    closed.add_argument("--header", action="append", default=[])
    closed.add_argument("--bodies", help="file with one request body per line, used in turn")
    bursts = sub.add_parser("burst")
    bursts.add_argument("--base", required=True)
    bursts.add_argument("--requests", required=True, help="JSON list of {method, path, headers, body}")
    args = parser.parse_args()

    if args.mode == "closed":
        headers = dict(h.split(": ", 1) for h in args.header)
        bodies = None
        if args.bodies:
            with open(args.bodies, encoding="utf-8") as f:
                bodies = [line.rstrip("\n").encode() for line in f if line.strip()]
        result = asyncio.run(closed_loop(args.url, args.clients, args.seconds, args.method, headers, bodies))
    else:
        with open(args.requests, encoding="utf-8") as f:
            result = asyncio.run(burst(args.base, json.load(f)))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
