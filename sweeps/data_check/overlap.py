"""What two splits share in one role: exact and near duplicates, counted by the later split's texts, with examples."""

from __future__ import annotations

from dataclasses import dataclass, field

from sweeps.data_check.near_duplicate_index import Match, normalized

EXAMPLES = 5  # of each kind, in the card and on screen


def clipped(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


@dataclass(frozen=True)
class Example:
    first: str
    second: str
    similarity: float
    exact: bool

    def line(self) -> str:
        kind = "exact" if self.exact else f"near {self.similarity:.2f}"
        return f"{kind}: {clipped(self.first)!r} ~ {clipped(self.second)!r}"


@dataclass(frozen=True)
class Overlap:
    first: str  # a split: train, eval, test, guard NAME
    second: str
    role: str
    exact: int  # texts of `second` with an exact duplicate in `first`
    near: int  # texts of `second` with a near duplicate (and no exact one) in `first`
    examples: tuple[Example, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, first: str, second: str, role: str, matches: list[Match], first_texts: list[str], second_texts: list[str]) -> Overlap:
        # Counted and shown by distinct text: a sentence in two pairs of a split is one duplicate.
        exact = {normalized(second_texts[match.index]) for match in matches if match.exact}
        near = {normalized(second_texts[match.index]) for match in matches if not match.exact} - exact
        chosen, seen = [], set()
        for kind in (True, False):  # up to 5 of each kind, the closest near ones first
            for match in sorted((match for match in matches if match.exact == kind), key=lambda match: (-match.similarity, match.index)):
                key = normalized(second_texts[match.index])
                if key not in seen and sum(example.exact == kind for example in chosen) < EXAMPLES:
                    seen.add(key)
                    chosen.append(Example(first_texts[match.indexed], second_texts[match.index], match.similarity, match.exact))
        return cls(first, second, role, len(exact), len(near), tuple(chosen))

    @property
    def count(self) -> int:
        return self.exact + self.near

    def describe(self) -> str:
        kinds = ", ".join(part for part in (f"{self.exact} exact" if self.exact else "", f"{self.near} near" if self.near else "") if part)
        return f"{self.count} {self.role} with {self.first} ({kinds})"

    def record(self) -> dict:
        return {"first": self.first, "second": self.second, "role": self.role, "exact": self.exact, "near": self.near,
                "examples": [{"first": example.first, "second": example.second, "similarity": round(example.similarity, 4),
                              "exact": example.exact} for example in self.examples]}
