"""The scripts a user would write instead of provisioner, using the SDK's own helpers: the baseline.

`apply`: every document uploaded with `files.create` in a thread pool, then per store
`vector_stores.create` and `file_batches.create_and_poll` (2,000 files per batch), then the
assistants; `destroy`: every object deleted from a thread pool. Writes the ids it made as JSON so
`destroy` can delete them. Run by bench/scale_bench.py as a subprocess, so its CPU and memory are
measured the same way as the provisioner's. It must not import provisioner.
Usage: python bench/baseline.py apply|destroy --base-url URL --ids FILE [--root DIR --stores K --assistants A] [--concurrency C]
"""
from __future__ import annotations

import argparse
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai

BATCH = 2000


def apply(client: openai.OpenAI, root: Path, stores: int, assistants: int, pool: ThreadPoolExecutor) -> dict:
    groups = [sorted((root / "docs" / f"s{k}").glob("*.md")) for k in range(stores)]

    def upload(path: Path) -> str:
        with open(path, "rb") as handle:
            return client.files.create(file=(path.name, handle), purpose="assistants").id

    file_ids = [list(pool.map(upload, group)) for group in groups]

    def build(k: int) -> str:
        store = client.vector_stores.create(name=f"kb{k}")
        for start in range(0, len(file_ids[k]), BATCH):
            client.vector_stores.file_batches.create_and_poll(vector_store_id=store.id,
                                                              file_ids=file_ids[k][start:start + BATCH])
        return store.id

    store_ids = list(pool.map(build, range(stores)))
    assistant_ids = list(pool.map(lambda j: client.beta.assistants.create(
        model="gpt-4o", name=f"a{j}", tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [store_ids[j % stores]]}}).id, range(assistants)))
    return {"files": [i for ids in file_ids for i in ids], "vector_stores": store_ids, "assistants": assistant_ids}


def destroy(client: openai.OpenAI, ids: dict, pool: ThreadPoolExecutor) -> None:
    list(pool.map(client.beta.assistants.delete, ids["assistants"]))
    list(pool.map(client.vector_stores.delete, ids["vector_stores"]))
    list(pool.map(client.files.delete, ids["files"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["apply", "destroy"])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--ids", type=Path, required=True)
    parser.add_argument("--root", type=Path)
    parser.add_argument("--stores", type=int, default=1)
    parser.add_argument("--assistants", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=8)
    options = parser.parse_args()
    client = openai.OpenAI(base_url=options.base_url, api_key="sk-bench", max_retries=5)
    with ThreadPoolExecutor(options.concurrency) as pool:
        if options.action == "apply":
            options.ids.write_text(json.dumps(apply(client, options.root, options.stores, options.assistants, pool)))
        else:
            destroy(client, json.loads(options.ids.read_text()), pool)


if __name__ == "__main__":
    main()
