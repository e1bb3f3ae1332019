"""The comparison servers: FastAPI + sse-starlette, and the naive tutorial pattern.

``POST /sse`` is what a careful FastAPI user writes (``EventSourceResponse``);
``POST /naive`` is the common tutorial (``StreamingResponse`` yielding
``f"data: {chunk}\\n\\n"`` with ``asyncio.sleep(0.01)`` per chunk). Both stream
``benchmarks.model.make_chain()``. Run: ``uvicorn benchmarks.starlette_app:app``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from sse_starlette.sse import EventSourceResponse

from benchmarks.model import make_chain

app = FastAPI()
chain = make_chain()


@app.post("/sse")
async def sse(body: dict[str, Any]) -> EventSourceResponse:
    async def events() -> AsyncIterator[dict[str, str]]:
        async for chunk in chain.astream(body["input"]):
            if chunk:
                yield {"data": chunk}
        yield {"event": "end", "data": "{}"}

    return EventSourceResponse(events())


@app.post("/naive")
async def naive(body: dict[str, Any]) -> StreamingResponse:
    async def events() -> AsyncIterator[str]:
        async for chunk in chain.astream(body["input"]):
            yield f"data: {chunk}\n\n"
            await asyncio.sleep(0.01)
        yield "event: end\ndata: {}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


@app.get("/health")
async def health() -> dict[str, str]:
    return {"ok": "yes"}
