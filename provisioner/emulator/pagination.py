"""Cursor pagination as OpenAI lists do it: `limit`, `order`, `after`, `before`.

Owns query-parameter checks for list endpoints and the list envelope
(`object`, `data`, `first_id`, `last_id`, `has_more`). Must not fetch or filter objects;
callers pass the full, oldest-first list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import invalid
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


def paginate(items: list[dict[str, Any]], params: ListParams) -> dict[str, Any]:
    """Build the envelope from oldest-first `items` (already in wire form)."""
    ordered = list(items) if params.order == "asc" else list(reversed(items))
    ids = [item["id"] for item in ordered]
    if params.after is not None:
        # An unknown cursor yields an empty page rather than restarting from the top, so a
        # client whose cursor object was deleted cannot loop forever.
        start = ids.index(params.after) + 1 if params.after in ids else len(ordered)
        window = ordered[start:]
        page = window[: params.limit]
        has_more = len(window) > params.limit
    elif params.before is not None:
        end = ids.index(params.before) if params.before in ids else 0
        window = ordered[:end]
        page = window[-params.limit :] if params.limit else []
        has_more = len(window) > params.limit
    else:
        page = ordered[: params.limit]
        has_more = len(ordered) > params.limit
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": has_more,
    }
