"""The API's server under connection abuse: idle and slowloris connections are closed, a connection
limit turns the excess away fast, and the probes still answer at the limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

from api.connections import ConnectionLimits, uvicorn_options
from tests.support.api_fakes import make_app

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@asynccontextmanager
async def limited_server(limits: ConnectionLimits) -> AsyncIterator[tuple[uvicorn.Server, int]]:
    config = uvicorn.Config(make_app(), host="127.0.0.1", port=0, log_level="warning", **uvicorn_options(limits))
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield server, server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


async def _connect(server: uvicorn.Server, port: int, expected_open: int) -> Connection:
    """A connection, returned once the server has taken it in (so the next one is counted after it)."""
    connection = await asyncio.open_connection("127.0.0.1", port)
    async with asyncio.timeout(10):
        while len(server.server_state.connections) < expected_open and not connection[0].at_eof():
            await asyncio.sleep(0.01)
    return connection


async def _get(connection: Connection, path: str) -> bytes:
    """Send a GET and read until the server closes or the head and JSON body have arrived."""
    reader, writer = connection
    writer.write(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    await writer.drain()
    async with asyncio.timeout(10):
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
        return head + await reader.readexactly(length)


async def _ask(server: uvicorn.Server, port: int, path: str) -> bytes:
    """GET `path` on a connection of its own, closed (and gone from the server) before this returns."""
    before = len(server.server_state.connections)
    connection = await _connect(server, port, before + 1)
    try:
        return await _get(connection, path)
    finally:
        connection[1].close()
        async with asyncio.timeout(10):
            while len(server.server_state.connections) > before:
                await asyncio.sleep(0.01)


async def _closed_by_server(connection: Connection, trickle: bytes = b"") -> bool:
    """Whether the server closes the connection (within a generous bound), sending `trickle` a byte at a time."""
    reader, writer = connection
    async with asyncio.timeout(20):
        for byte in trickle:
            if reader.at_eof():
                break
            writer.write(bytes([byte]))
            await asyncio.sleep(0.1)
        return await reader.read() == b""


async def test_a_connection_that_never_sends_a_request_is_closed() -> None:
    async with limited_server(ConnectionLimits(header_timeout_s=0.5)) as (server, port):
        assert await _closed_by_server(await _connect(server, port, 1))


async def test_a_slowloris_request_head_is_closed_although_bytes_keep_coming() -> None:
    trickle = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: " + b"a" * 200  # 20 s at 10 bytes a second
    async with limited_server(ConnectionLimits(header_timeout_s=1)) as (server, port):
        assert await _closed_by_server(await _connect(server, port, 1), trickle)


async def test_an_idle_keep_alive_connection_is_closed_after_its_response() -> None:
    async with limited_server(ConnectionLimits(header_timeout_s=30, keep_alive_timeout_s=0.5)) as (server, port):
        connection = await _connect(server, port, 1)
        assert (await _get(connection, "/healthz")).startswith(b"HTTP/1.1 200")
        assert await _closed_by_server(connection)


async def test_at_the_limit_probes_answer_the_rest_is_refused_fast() -> None:
    limits = ConnectionLimits(max_connections=3, probe_reserve=2, header_timeout_s=60)
    async with limited_server(limits) as (server, port):
        held = [await _connect(server, port, n) for n in range(1, 4)]  # idle, at the limit
        probe = await _ask(server, port, "/healthz")
        ready = await _ask(server, port, "/readyz")
        refused = await _ask(server, port, "/api/v1/analytics/overview")
        # Two more idle ones fill the reserve: the next connection is closed without a word...
        reserve = [await _connect(server, port, n) for n in (4, 5)]
        beyond = await _connect(server, port, 6)
        assert await _closed_by_server(beyond)
        # ...until the reserve's idle connections are dropped (they get a short header timeout).
        for connection in reserve:
            assert await _closed_by_server(connection)
        again = await _ask(server, port, "/healthz")
        assert all(not reader.at_eof() for reader, _ in held)  # within their own header timeout
    assert probe.startswith(b"HTTP/1.1 200") and ready.startswith(b"HTTP/1.1 200")
    assert refused.startswith(b"HTTP/1.1 503") and b"connection: close" in refused.lower()
    assert b'"error":"overloaded"' in refused and b"retry-after: 5" in refused.lower()
    assert again.startswith(b"HTTP/1.1 200")
