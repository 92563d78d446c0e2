"""The one shape every data source is read into: a corpus, queries, and who is relevant to whom."""

from __future__ import annotations

from dataclasses import dataclass, field

SPLITS = ("train", "eval", "test")


@dataclass
class RetrievalSet:
    corpus: dict[str, str] = field(default_factory=dict)
    queries: dict[str, str] = field(default_factory=dict)
    # split -> query id -> relevant corpus ids; a split missing here is carved from train
    qrels: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    # query id -> corpus ids given as negatives by the data itself
    negatives: dict[str, list[str]] = field(default_factory=dict)
    # query id -> key of the unit a split may not cut (a page, an article, the query itself)
    split_groups: dict[str, str] = field(default_factory=dict)
    # (split, group) -> corpus ids of every row in that group; rows of one page are all relevant
    group_docs: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    # query id -> the passages its own rows gave it, one per row: the pairs as the source wrote them
    row_docs: dict[str, list[str]] = field(default_factory=dict)
    # (query id, passage id) -> the negatives that row gave, in column order
    row_negatives: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    origin: str = ""

    def add_text(self, table: dict[str, str], prefix: str, text: str) -> str:
        """Content-addressed ids, so the same passage on two rows is one corpus entry."""
        from hashlib import sha1

        text_id = f"{prefix}{sha1(text.encode('utf-8')).hexdigest()[:16]}"
        table.setdefault(text_id, text)
        return text_id

    def add_pair(self, split: str, anchor: str, positive: str, negatives: list[str], group: str | None) -> None:
        query_id = self.add_text(self.queries, "q", anchor)
        doc_id = self.add_text(self.corpus, "d", positive)
        self.qrels.setdefault(split, {}).setdefault(query_id, set()).add(doc_id)
        self.row_docs.setdefault(query_id, []).append(doc_id)
        negative_ids = [self.add_text(self.corpus, "d", negative) for negative in negatives]
        if negative_ids:
            self.row_negatives[(query_id, doc_id)] = negative_ids
            self.negatives.setdefault(query_id, []).extend(negative_ids)
        self.split_groups.setdefault(query_id, group if group is not None else query_id)
        if group is not None:
            self.group_docs.setdefault((split, group), set()).add(doc_id)

    def make_groups_relevant(self) -> None:
        """Call once all rows are in: each query counts every passage of its group as relevant."""
        for (split, group), doc_ids in self.group_docs.items():
            for query_id, relevant in self.qrels.get(split, {}).items():
                if self.split_groups.get(query_id) == group:
                    relevant.update(doc_ids)
