"""What the stack checks know of OpenAI's model families: which of them take `reasoning_effort`.

A parameter the chosen model refuses must fail at validate and plan time, not as a 400 halfway
through an apply. Only families OpenAI documents are listed; a model name outside them (a
compatible server's own model) is allowed, since only its server knows. The emulator's assistants
resource refuses `reasoning_effort` by the same families (tests/config check the two agree).
It must not call the API.
"""
from __future__ import annotations

# model ids start with their family; fine-tuned models are `ft:<base model>:...`
REASONING_FAMILIES = ("o1", "o3", "o4", "gpt-5")
NON_REASONING_FAMILIES = ("gpt-4", "gpt-3.5", "chatgpt-4o")
FINE_TUNED_PREFIX = "ft:"


def takes_reasoning_effort(model: str) -> bool | None:
    """True for a reasoning model, False for a model known not to reason, None when unknown."""
    base = model.removeprefix(FINE_TUNED_PREFIX).lower()
    if base.startswith(REASONING_FAMILIES):
        return True
    if base.startswith(NON_REASONING_FAMILIES):
        return False
    return None
