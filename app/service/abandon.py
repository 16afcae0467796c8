"""Work for a client that has left is dropped: a prediction is cancelled when its client goes.

Starlette does not cancel a route when its client disconnects; the route runs to
the end and its answer goes nowhere. With predictions queued behind each other that
is costly: 160 requests whose clients gave up after 1.5 s all still ran, so the next
real request found the backlog full (503) and the one after waited 55 s.

``unless_client_leaves(receive, work)`` awaits ``work`` while it listens on the
request's ``receive`` channel, which after the body has been read says nothing
until the connection closes (``http.disconnect``). If that comes first, the work is
cancelled: a prediction still waiting for a thread or a pool process never runs
(the pool skips cancelled requests; a thread not yet started is never started),
and ``ClientDisconnect`` is raised, which the error handlers answer with status 499
(nginx's "client closed request"): one access-log line, no traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar

from starlette.requests import ClientDisconnect
from starlette.types import Receive

T = TypeVar("T")


async def _until_disconnect(receive: Receive) -> None:
    """Return when the client has closed the connection (the body was read before)."""
    while (await receive())["type"] != "http.disconnect":
        continue


async def unless_client_leaves(receive: Receive, work: Coroutine[Any, Any, T]) -> T:
    """``await work``, cancelled with ``ClientDisconnect`` if the client leaves first."""
    task = asyncio.ensure_future(work)
    listener = asyncio.ensure_future(_until_disconnect(receive))
    try:
        await asyncio.wait({task, listener}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, listener):
            if not pending.done():
                pending.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await listener  # its end, whatever it was, means only "stop listening"
    if task.cancelled() or not task.done():
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise ClientDisconnect()
    return task.result()
