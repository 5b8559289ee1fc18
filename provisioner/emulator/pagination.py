"""Cursor pagination as OpenAI lists do it: `limit`, `order`, `after`, `before`.

Owns query-parameter checks for list endpoints and the list envelope
(`object`, `data`, `first_id`, `last_id`, `has_more`). Reads only the page it answers (the
store's keyset `page`), never the whole table. Must not know what the objects mean; callers
pass their wire view and any filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .errors import invalid
from .store import Store
from .validation import one_of


@dataclass
class ListParams:
    limit: int
    order: str
    after: str | None
    before: str | None


def parse_list_params(
    query: dict[str, str], *, default_limit: int = 20, max_limit: int = 100, allow_before: bool = True
) -> ListParams:
    raw_limit = query.get("limit")
    limit = default_limit
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise invalid(
                "Invalid type for 'limit': expected an integer, but got a string instead.",
                param="limit",
                code="invalid_type",
            ) from None
        if limit > max_limit:
            raise invalid(
                f"Invalid 'limit': integer above maximum value. Expected a value <= {max_limit}, "
                f"but got {limit} instead.",
                param="limit",
                code="integer_above_max_value",
            )
        if limit < 1:
            raise invalid(
                f"Invalid 'limit': integer below minimum value. Expected a value >= 1, but got {limit} instead.",
                param="limit",
                code="integer_below_min_value",
            )
    order = one_of(query.get("order", "desc"), "order", ["asc", "desc"])
    before = query.get("before") if allow_before else None
    return ListParams(limit=limit, order=order, after=query.get("after") or None, before=before or None)


def paginate(
    store: Store,
    kind: str,
    params: ListParams,
    view: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    parent: str = "",
    match: dict[str, Any] | None = None,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """The envelope of one page of stored objects, each shown through `view` (wire form)."""
    rows, has_more = store.page(
        kind,
        parent,
        limit=params.limit,
        descending=params.order == "desc",
        after=params.after,
        before=params.before,
        match=match,
        keep=keep,
    )
    page = [view(row) for row in rows]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": has_more,
    }
