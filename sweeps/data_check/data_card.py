"""The data card: what the sweep trained and was judged on, as JSON and as a short page, logged to the parent run."""

from __future__ import annotations

import json
from dataclasses import dataclass

CARD_JSON, CARD_PAGE = "data_card.json", "data_card.md"


@dataclass(frozen=True)
class DataCard:
    record: dict

    def to_json(self) -> str:
        return json.dumps(self.record, indent=2, ensure_ascii=False)

    def to_markdown(self) -> str:
        record = self.record
        lines = [f"# Data card: {record['origin']}", "",
                 f"Fingerprint `{record['fingerprint']}` (as read: `{record['fingerprint_as_read']}`); task {record['task']}; "
                 f"leaks: `{record['leaks']}`; near duplicates at character 4-gram cosine ≥ {record['near_duplicate_similarity']}.", "",
                 "## Sizes", "", "| split | role | texts | repeated within |", "|---|---|---|---|"]
        lines += [f"| {size['split']} | {size['role']} | {size['texts']:,} | {size['repeated_within']:,} |" for size in record["sizes"]]
        lines += ["", f"Training rows: {record['training_rows_as_read']:,} read, {record['dropped_training_rows']:,} dropped, "
                      f"{record['training_rows']:,} trained on.", "", "## Shared across splits", ""]
        if record["overlaps"]:
            lines += ["| texts of | found in | role | exact | near |", "|---|---|---|---|---|"]
            lines += [f"| {o['second']} | {o['first']} | {o['role']} | {o['exact']} | {o['near']} |" for o in record["overlaps"]]
            for overlap in record["overlaps"]:
                lines += ["", f"{overlap['second']} ~ {overlap['first']} ({overlap['role']}):", ""]
                lines += [f"- {'exact' if e['exact'] else 'near ' + format(e['similarity'], '.2f')}: `{_clip(e['first'])}` ~ `{_clip(e['second'])}`"
                          for e in overlap["examples"]]
        else:
            lines.append("Nothing: no split shares a text with another, exactly or nearly.")
        lines += ["", "## Lengths against max_seq_length (the model's own tokens)", ""]
        for model, roles in record["lengths"].items():
            if not roles:
                lines.append(f"- {model}: no tokenizer.json in its folder; not measured")
            for role in roles:
                shares = ", ".join(f"{share:.0%} over {length}" for length, share in role["share_over_max_seq_length"].items())
                tokens = ", ".join(f"{name} {value}" for name, value in role["tokens"].items())
                lines.append(f"- {model}, {role['role']} ({role['texts_measured']:,} measured): {tokens}; {shares}")
        if record["false_negatives"]:
            lines += ["", "## In-batch false negatives", ""]
            lines += [f"- batches of {f['batch_size']}: {f['with_false_negative']} of {f['batches']} ({f['share']:.1%}) hold another row's "
                      "passage that nearly duplicates a row's positive" for f in record["false_negatives"]]
        return "\n".join(lines) + "\n"


def _clip(text: str, width: int = 100) -> str:
    text = " ".join(text.split()).replace("`", "'")
    return text if len(text) <= width else text[:width - 1] + "…"
