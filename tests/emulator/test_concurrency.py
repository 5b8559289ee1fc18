"""Concurrent and asynchronous clients: the server is threaded and storage is shared."""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor

import openai


def test_parallel_uploads_and_attaches_are_all_counted(client):
    store = client.vector_stores.create(name="parallel")

    def work(i: int) -> str:
        uploaded = client.files.create(file=(f"p{i}.txt", f"parallel {i}".encode()), purpose="assistants")
        client.vector_stores.files.create(vector_store_id=store.id, file_id=uploaded.id)
        return uploaded.id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(work, range(24)))
    assert len(set(ids)) == 24
    listed = {f.id for f in client.vector_stores.files.list(store.id, limit=100)}
    assert listed == set(ids)
    assert client.vector_stores.retrieve(store.id).file_counts.total == 24


def test_async_client_batch_upload_and_poll(emulator):
    async def run() -> openai.types.vector_stores.VectorStoreFileBatch:
        async with openai.AsyncOpenAI(base_url=emulator.base_url, api_key=emulator.api_key) as client:
            store = await client.vector_stores.create(name="async")
            files = [(f"a{i}.md", io.BytesIO(f"# async {i}".encode())) for i in range(3)]
            return await client.vector_stores.file_batches.upload_and_poll(store.id, files=files)

    batch = asyncio.run(run())
    assert (batch.status, batch.file_counts.completed, batch.file_counts.total) == ("completed", 3, 3)
