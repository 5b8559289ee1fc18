"""Handler for vector stores and the files they hold.

A store's membership (file -> attributes) is one attribute of the store, so attaching goes through
file batches and waits for indexing. The API cannot change a store's description or chunking in
place, and does not return them, so those come from what was recorded and force replacement.
"""
from __future__ import annotations

import time
from typing import Any

from provisioner.addresses import VECTOR_STORE_ID_PREFIX, address, file_ref, is_external
from provisioner.api.base import Api, NotFound, Obj
from provisioner.config.spec import Stack, VectorStoreSpec
from provisioner.errors import ProvisionerError
from provisioner.resources.base import (ApplyContext, Declared, KindHandler, ObserveContext, Resolve, same_named,
                                        owned_address, ownership, with_marker, without_marker)

MUTABLE_FIELDS = ("name", "metadata", "expires_after")
LIVE_MEMBER_STATUSES = ("in_progress", "completed")
MAX_BATCH_FILES = 2000  # the API's limit on one file batch
POLL_START_SECONDS = 0.1
POLL_MAX_SECONDS = 2.0
INDEXING_TIMEOUT_SECONDS = 30 * 60


class IndexingFailed(ProvisionerError):
    pass


def _chunking(strategy: dict[str, Any] | None) -> dict[str, Any] | None:
    """`{type: auto}` is what the API does when no strategy is given: one form for both."""
    return None if strategy is None or strategy == {"type": "auto"} else strategy


class VectorStoreHandler(KindHandler):
    kind = "vector_store"
    noun = "vector store"
    sections = {"vector_stores": VectorStoreSpec}
    external_prefix = VECTOR_STORE_ID_PREFIX
    ignorable = {**same_named("name", "description", "metadata", "expires_after", "chunking_strategy", "files"),
                 "file_sets": ("files",)}
    tagged = True
    replace_fields = frozenset({"description", "chunking_strategy"})

    def declare(self, stack: Stack) -> list[Declared]:
        declared = []
        for name, spec in stack.vector_stores.items():
            store = address("vector_stores", name)
            members: list[tuple[str, dict[str, Any]]] = []
            for entry in spec.files:
                ref, attributes = (entry, {}) if isinstance(entry, str) else (entry.file, dict(entry.attributes))
                members.append((file_ref(ref), attributes))
            for set_entry in spec.file_sets:
                set_name, attributes = ((set_entry, {}) if isinstance(set_entry, str)
                                        else (set_entry.file_set, dict(set_entry.attributes)))
                members.extend((member, attributes) for member in stack.file_sets[set_name])
            dependencies = tuple(dict.fromkeys(m for m, _ in members if not is_external(m)))
            external = tuple(dict.fromkeys(m for m, _ in members if is_external(m)))

            def build(resolve: Resolve, spec=spec, name=name, store=store, members=members) -> dict[str, Any]:
                return {
                    "name": spec.name if spec.name is not None else name,
                    "description": spec.description,
                    "metadata": {**spec.metadata, **ownership(stack.name, store, stack.workspace)},
                    "expires_after": spec.expires_after.model_dump() if spec.expires_after else None,
                    "chunking_strategy": _chunking(spec.chunking_strategy.model_dump(exclude_none=True)
                                                   if spec.chunking_strategy else None),
                    "files": {key: {"file_id": key if is_external(key) else resolve(key),
                                    "attributes": attributes} for key, attributes in members},
                }
            declared.append(Declared(store, self.kind, dependencies, build, external))
        return declared

    def observe(self, api: Api, ctx: ObserveContext) -> dict[str, Obj]:
        stores = {}
        for store in api.list_vector_stores():
            tracked = store["id"] in ctx.tracked_ids
            if tracked or owned_address(store.get("metadata"), ctx.stack_name, ctx.workspace) is not None:
                # membership is read only for our own stores: one paginated list each
                store = {**store, "files": api.list_vector_store_files(store["id"])}
            stores[store["id"]] = store
        return stores

    def live_attributes(self, live: Obj, address: str, ctx: ObserveContext) -> dict[str, Any]:
        recorded = ctx.recorded.get(address, {})
        members = {}
        for member in live.get("files", []):
            if member["status"] in LIVE_MEMBER_STATUSES:
                key = ctx.tracked_ids.get(member["id"], member["id"])
                members[key] = {"file_id": member["id"], "attributes": member.get("attributes") or {}}
        return {
            "name": live.get("name"),
            "description": recorded.get("description"),
            "metadata": without_marker(live.get("metadata")),
            "expires_after": live.get("expires_after"),
            "chunking_strategy": _chunking(recorded.get("chunking_strategy")),
            "files": members,
        }

    def unusable(self, live: Obj) -> str | None:
        # an expired store takes no files and serves no search, and nothing brings it back
        if live.get("status") == "expired":
            return "it expired (idle longer than its expires_after)"
        return None

    def create(self, api: Api, after: dict[str, Any], ctx: ApplyContext) -> tuple[str, dict[str, Any]]:
        body = {k: after[k] for k in ("name", "description", "metadata", "expires_after") if after[k] is not None}
        body["metadata"] = with_marker(after["metadata"] or {}, ctx.marker)
        store = api.create_vector_store(body)
        recorded = {**after, "files": {}}
        ctx.record(store["id"], recorded)
        return store["id"], self._sync_members(api, store["id"], recorded, after, ctx)

    def update(self, api: Api, live_id: str, before: dict[str, Any], after: dict[str, Any],
               ctx: ApplyContext) -> dict[str, Any]:
        recorded = dict(before)
        changed = {k: after[k] for k in MUTABLE_FIELDS if before.get(k) != after[k]}
        if changed:
            api.update_vector_store(live_id, changed)
            recorded.update(changed)
            ctx.record(live_id, recorded)
        recorded.update({k: after[k] for k in ("description", "chunking_strategy")})
        return self._sync_members(api, live_id, recorded, after, ctx)

    def delete(self, api: Api, live_id: str) -> None:
        try:
            api.delete_vector_store(live_id)
        except NotFound:
            pass

    def _sync_members(self, api: Api, store_id: str, recorded: dict[str, Any], after: dict[str, Any],
                      ctx: ApplyContext) -> dict[str, Any]:
        """Re-attribute, attach (in batches of at most MAX_BATCH_FILES), then detach, recording after each call.

        New versions are attached before the old ones are detached, so a store never goes without
        a document while its new upload indexes, nor loses it when the new one fails to index.
        Calls on single members run as many at once as the run allows (the API layer keeps them
        under the endpoint's rate limits); each is recorded as a small change of the members."""
        members = dict(recorded.get("files") or {})
        wanted = after["files"]

        def reattribute(item: tuple[str, dict[str, Any]]) -> None:
            key, member = item
            api.update_vector_store_file(store_id, member["file_id"], member["attributes"])
            ctx.record_members({key: member}, [])

        changed = {key: member for key, member in wanted.items()
                   if key in members and members[key]["file_id"] == member["file_id"]
                   and members[key]["attributes"] != member["attributes"]}
        ctx.each(reattribute, changed.items())
        members.update(changed)
        to_attach = list((key, member) for key, member in wanted.items()
                         if key not in members or members[key]["file_id"] != member["file_id"])
        chunks = [dict(to_attach[start:start + MAX_BATCH_FILES]) for start in range(0, len(to_attach), MAX_BATCH_FILES)]
        outcomes = [self._attach(api, store_id, chunk, after.get("chunking_strategy"), ctx) for chunk in chunks]
        failures = [failure for _, chunk_failures in outcomes for failure in chunk_failures]
        # members left on an old version (the new one failed) stay recorded until it indexes
        old_versions = [members[key]["file_id"] for attached, _ in outcomes for key in attached if key in members]
        for attached, _ in outcomes:
            members.update(attached)
        ctx.each(lambda file_id: self._detach(api, store_id, file_id), old_versions)

        def detach(key: str) -> None:
            self._detach(api, store_id, members[key]["file_id"])
            ctx.record_members({}, [key])

        removed = [key for key in members if key not in wanted]
        ctx.each(detach, removed)
        for key in removed:
            del members[key]
        if failures:
            raise IndexingFailed("files failed to index:\n" + "\n".join(f"  {f}" for f in failures),
                                 hint="fix or remove these files; the next apply attaches them again")
        return {**recorded, "files": members}

    @staticmethod
    def _detach(api: Api, store_id: str, file_id: str) -> None:
        try:
            api.delete_vector_store_file(store_id, file_id)
        except NotFound:
            pass  # deleting a file detaches it from every store

    def _attach(self, api: Api, store_id: str, to_attach: dict[str, dict[str, Any]],
                chunking: dict[str, Any] | None, ctx: ApplyContext) -> tuple[dict[str, dict[str, Any]], list[str]]:
        by_file_id = {member["file_id"]: key for key, member in to_attach.items()}
        entries = []
        for member in to_attach.values():
            entry = {"file_id": member["file_id"], "attributes": member["attributes"]}
            if chunking:
                entry["chunking_strategy"] = chunking
            entries.append(entry)
        batch = api.create_file_batch(store_id, entries)
        batch = self._wait(api, store_id, batch, ctx)
        attached, failures = {}, []
        for member in api.list_file_batch_files(store_id, batch["id"]):
            key = by_file_id.get(member["id"])
            if key is None:
                continue
            if member["status"] == "completed":
                attached[key] = to_attach[key]
            else:
                error = member.get("last_error") or {}
                reason = error.get("message") or member["status"]
                failures.append(f"{key}: indexing {member['status']}: {reason}")
        if not failures and len(attached) < len(to_attach):
            failures.append(f"batch {batch['id']} ended {batch['status']}")
        ctx.record_members(attached, [])
        return attached, failures

    def _wait(self, api: Api, store_id: str, batch: Obj, ctx: ApplyContext) -> Obj:
        delay, deadline, last_line = POLL_START_SECONDS, time.monotonic() + INDEXING_TIMEOUT_SECONDS, None
        while batch["status"] == "in_progress":
            counts = batch["file_counts"]
            line = f"indexing {counts['completed']}/{counts['total']} files ({counts['failed']} failed)"
            if line != last_line:
                ctx.progress(line)
                last_line = line
            if time.monotonic() > deadline:
                raise ProvisionerError(f"indexing batch {batch['id']} did not finish in "
                                       f"{INDEXING_TIMEOUT_SECONDS // 60} minutes",
                                       hint="apply again later: the files already attached are recorded")
            time.sleep(delay)
            batch, asked = api.retrieve_file_batch(store_id, batch["id"])
            # the server's pace when it gives one (as the SDK's helpers poll); else back off
            delay = asked if asked is not None else min(delay * 1.5, POLL_MAX_SECONDS)
        counts = batch["file_counts"]
        ctx.progress(f"indexed {counts['completed']}/{counts['total']} files ({counts['failed']} failed)")
        return batch
