"""Markdown bodies that fit one GitHub comment or issue (65,536 characters at most).

Owns the budget: a body is a list of sections, each with a priority; when the whole is too long,
the least important sections lose their last lines first (each says how many it lost), and a note
says where the whole document is. It must not know what a plan or a drift report is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

GITHUB_LIMIT = 65_536
# room kept for the note on shortening and for a platform's own wrapping of the body
MARGIN = 1_500
OPEN_CHARS = 20_000  # a plan shorter than this shows expanded; a longer one is one click away


@dataclass
class Section:
    head: str
    lines: list[str] = field(default_factory=list)
    tail: str = ""
    priority: int = 0  # 0: never cut; higher: cut first

    def render(self) -> str:
        return self.head + "".join(line + "\n" for line in self.lines) + self.tail

    def cut_to(self, size: int) -> bool:
        """Keep the lines that fit in `size` characters, and a line saying how many were cut."""
        note = "... {} more lines cut to fit one comment"
        used, keep = len(self.head) + len(self.tail) + len(note) + 12, 0
        for line in self.lines:
            if used + len(line) + 1 > size:
                break
            used += len(line) + 1
            keep += 1
        if keep == len(self.lines):
            return False
        self.lines = self.lines[:keep] + [note.format(len(self.lines) - keep)]
        return True


def fit(sections: list[Section], hint: str, limit: int = GITHUB_LIMIT) -> str:
    budget = limit - MARGIN
    cut = False
    for section in sorted((s for s in sections if s.priority), key=lambda s: -s.priority):
        excess = sum(len(s.render()) for s in sections) - budget
        if excess <= 0:
            break
        cut |= section.cut_to(max(0, len(section.render()) - excess))
    body = "".join(s.render() for s in sections)
    return body + (f"\n> {hint}\n" if cut else "")


def fence_for(text: str) -> str:
    """A code fence longer than any run of backticks in `text` (a prompt may hold its own fences)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)
