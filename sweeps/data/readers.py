"""Read a data source (BEIR folder, table file, folder of split files, hub id) into a RetrievalSet."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from sweeps.data.retrieval_set import RetrievalSet
from sweeps.data.text_files import read_delimited, read_jsonl, read_jsonl_counting, read_text
from sweeps.errors import SweepInputError, problem
from sweeps.sweep_file.schema import DataConfig

TABLE_SUFFIXES = (".jsonl", ".json", ".csv", ".tsv", ".parquet")
SPLIT_FILE_NAMES = {"train": ("train",), "eval": ("eval", "dev", "validation", "val"), "test": ("test",)}
# Words in a file's name that say its split, when the folder holds no train/dev/test files by those exact names.
SPLIT_FILE_NAMES_BY_TOKEN = {"train": ("train", "training"), "eval": ("eval", "dev", "validation", "val", "valid"), "test": ("test",)}
ROLES = ("anchor", "positive", "negative", "group")
NEGATIVES = "negatives"  # several negatives per row: a list of columns, or one list-valued column
REQUIRED_ROLES = ("anchor", "positive")


def read_source(source: str, base_dir: Path, columns: dict[str, str], sweep_file: str, hub_split: str | None = None,
                require_train: bool = True, delimiter: str | None = None) -> RetrievalSet:
    """A retrieval source. `require_train=False` for evaluation only: a BEIR folder may then hold test (or dev) qrels alone."""
    path = source_path(source, base_dir)
    if path.is_dir() and _first_existing(path, "corpus.jsonl", "corpus.jsonl.gz"):
        return read_beir(path, sweep_file, require_train)
    origin, tables = read_tables(source, base_dir, sweep_file, hub_split, delimiter)
    data = RetrievalSet(origin=origin)
    for split, (rows, where) in tables.items():
        _add_rows(data, split, rows, columns, sweep_file, where)
    return data


def _with_blank_lines(origin: str, blank: int) -> str:
    return f"{origin} ({blank} blank line{'s' if blank != 1 else ''} skipped)" if blank else origin


def source_path(source: str, base_dir: Path) -> Path:
    path = Path(source).expanduser()
    return path if path.is_absolute() else (base_dir / path).resolve()


def read_tables(source: str, base_dir: Path, sweep_file: str, hub_split: str | None = None, delimiter: str | None = None
                ) -> tuple[str, dict[str | None, tuple[list[dict], str]]]:
    """A table source's rows by split, as (origin, {split: (rows, where they came from)}). One table is split None:
    its rows are all carved into splits later."""
    path = source_path(source, base_dir)
    if path.is_dir() and ((path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists()):
        return read_saved_dataset(path)
    if path.is_dir() or _is_pattern(source):
        files = sorted(path.iterdir()) if path.is_dir() else sorted(path.parent.glob(path.name))
        split_files = _split_files(path) if path.is_dir() else {}
        if "train" not in split_files:
            split_files, ambiguous = _split_files_by_name(files)
            if ambiguous:
                example = _pattern_for(next(iter(ambiguous.values()))[0])
                raise SweepInputError([problem(
                    sweep_file, "data.source", "must name one file per split; pick them with a pattern such as "
                    f"{str(path / example) if path.is_dir() else source!r} (a `*` in data.source)",
                    f"{path}: several files for {', '.join(f'{split} {names}' for split, names in ambiguous.items())}")])
        if "train" in split_files:
            tables = {split: table_rows(file, delimiter) for split, file in split_files.items()}
            blank = sum(skipped for _, skipped in tables.values())
            which = ", ".join(f"{split} <- {split_files[split].name}" for split in SPLIT_FILE_NAMES if split in split_files)
            named = any(file.name.removesuffix(".gz").rsplit(".", 1)[0] not in SPLIT_FILE_NAMES[split] for split, file in split_files.items())
            origin = f"{path} ({which})" if named else str(path)
            return _with_blank_lines(origin, blank), {split: (rows, str(split_files[split])) for split, (rows, _) in tables.items()}
        raise SweepInputError([problem(
            sweep_file, "data.source",
            "must be a BEIR folder (corpus.jsonl[.gz], queries.jsonl, qrels/) or hold train.{jsonl,csv,parquet} (or files "
            "named like *train*, *dev* or *valid*, *test*)",
            f"{path} containing {sorted(p.name for p in files)[:8]}",
        )])
    if path.suffix in TABLE_SUFFIXES or path.name.endswith(".jsonl.gz"):
        if not path.exists():
            raise SweepInputError([problem(sweep_file, "data.source", "must be an existing file or folder", str(path))])
        rows, blank = table_rows(path, delimiter)
        return _with_blank_lines(str(path), blank), {None: (rows, str(path))}
    if _looks_like_hub_id(source):
        return read_hub_dataset(source, sweep_file, hub_split)
    raise SweepInputError([problem(
        sweep_file, "data.source",
        "must be an existing folder, a .jsonl/.csv/.tsv/.parquet file, or a hub dataset id like 'owner/name'",
        source,
    )])


def read_beir(folder: Path, sweep_file: str, require_train: bool = True) -> RetrievalSet:
    data = RetrievalSet(origin=str(folder))
    for row in read_jsonl(_first_existing(folder, "corpus.jsonl", "corpus.jsonl.gz")):
        title, text = (row.get("title") or "").strip(), (row.get("text") or "").strip()
        data.corpus[str(row["_id"])] = f"{title}\n{text}" if title else text
    queries_file = _first_existing(folder, "queries.jsonl", "queries.jsonl.gz")
    if queries_file is None:
        raise SweepInputError([problem(sweep_file, "data.source", "a BEIR folder must hold queries.jsonl", str(folder))])
    data.queries = {str(row["_id"]): row["text"] for row in read_jsonl(queries_file)}
    for split, names in SPLIT_FILE_NAMES.items():
        qrels_file = next((folder / "qrels" / f"{n}.tsv" for n in names if (folder / "qrels" / f"{n}.tsv").exists()), None)
        if qrels_file is not None:
            data.qrels[split] = _read_qrels(qrels_file, data, sweep_file)
    if "train" not in data.qrels and require_train:
        raise SweepInputError([problem(sweep_file, "data.source", "a BEIR folder must hold qrels/train.tsv to train on", str(folder))])
    if not data.qrels:
        raise SweepInputError([problem(sweep_file, "data.source", "a BEIR folder must hold qrels/train.tsv, dev.tsv or test.tsv", str(folder))])
    data.split_groups = {query_id: query_id for split in data.qrels.values() for query_id in split}
    return data


def _read_qrels(path: Path, data: RetrievalSet, sweep_file: str) -> dict[str, set[str]]:
    qrels: dict[str, set[str]] = {}
    for line_number, line in enumerate(read_text(path).splitlines(), start=1):
        fields = line.split("\t")
        if len(fields) < 3 or not fields[2].strip().lstrip("-").isdigit():
            if line_number == 1:
                continue  # the header BEIR writes
            raise SweepInputError([problem(f"{path}", f"line {line_number}", "must be query-id<TAB>corpus-id<TAB>score", line.strip())])
        query_id, doc_id, score = fields[0], fields[1], int(fields[2])
        if score > 0 and query_id in data.queries and doc_id in data.corpus:
            qrels.setdefault(query_id, set()).add(doc_id)
    return qrels


def read_table(path: Path, delimiter: str | None = None) -> list[dict]:
    """A table file's rows. `delimiter`: a csv/tsv file's, else sniffed."""
    return table_rows(path, delimiter)[0]


def table_rows(path: Path, delimiter: str | None = None) -> tuple[list[dict], int]:
    """A table file's rows, and the blank lines a jsonl file had (read once). Nested fields are reachable by their dotted
    path too (`query.text`), as a column name in `data.columns`."""
    if path.name.endswith(".jsonl") or path.name.endswith(".jsonl.gz"):
        rows, blank = read_jsonl_counting(path)
    else:
        rows, blank = _other_table_rows(path, delimiter), 0
    return [with_dotted_paths(row) for row in rows], blank


def with_dotted_paths(row: dict) -> dict:
    """`{"query": {"text": …}}` also as `query.text`: a row's nested mappings flattened beside the row as written."""
    if not any(isinstance(value, dict) for value in row.values()):
        return row
    flat = dict(row)
    stack = [(f"{key}.", value) for key, value in row.items() if isinstance(value, dict)]
    while stack:
        prefix, mapping = stack.pop()
        for key, value in mapping.items():
            flat[prefix + str(key)] = value
            if isinstance(value, dict):
                stack.append((f"{prefix}{key}.", value))
    return flat


def _other_table_rows(path: Path, delimiter: str | None) -> list[dict]:
    name = path.name
    if name.endswith(".json"):
        try:
            loaded = json.loads(read_text(path))
        except json.JSONDecodeError as error:
            raise SweepInputError([problem(str(path), f"line {error.lineno}", "must be valid JSON", f"{error.msg} at column {error.colno}")]) from None
        return loaded if isinstance(loaded, list) else [loaded]
    if name.endswith(".csv") or name.endswith(".tsv"):
        return read_delimited(path, delimiter)
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def read_saved_dataset(path: Path) -> tuple[str, dict[str | None, tuple[list[dict], str]]]:
    """A folder `datasets`' save_to_disk wrote: a Dataset (one table, carved into splits) or a DatasetDict (its splits
    by their names: train, validation/dev/eval, test)."""
    from datasets import Dataset, load_from_disk

    loaded = load_from_disk(str(path))
    if isinstance(loaded, Dataset):
        return f"{path} (datasets.load_from_disk)", {None: ([with_dotted_paths(row) for row in loaded.to_list()], str(path))}
    tables = {}
    for name, split in loaded.items():
        ours = next((split_name for split_name, names in SPLIT_FILE_NAMES.items() if name in names), None)
        if ours is not None and ours not in tables:
            tables[ours] = ([with_dotted_paths(row) for row in split.to_list()], f"{path}[{name}]")
    return f"{path} (datasets.load_from_disk: {', '.join(f'{split} <- {where.rsplit(chr(91), 1)[1][:-1]}' for split, (_, where) in tables.items())})", tables


def read_hub_dataset(dataset_id: str, sweep_file: str, hub_split: str | None) -> tuple[str, dict[str, tuple[list[dict], str]]]:
    import datasets

    try:
        loaded = datasets.load_dataset(dataset_id, split=hub_split)
    except Exception as error:  # offline, unknown id, gated: the library's own reason is the useful part
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SweepInputError([problem(
            sweep_file, "data.source",
            "must be a hub dataset reachable from here (offline? set HF_HUB_OFFLINE=0, or point at a local copy)",
            f"{dataset_id} ({reason})",
        )]) from error
    splits = {hub_split or "train": loaded} if isinstance(loaded, datasets.Dataset) else dict(loaded)
    tables = {}
    for hub_name, rows in splits.items():
        split = next((ours for ours, names in SPLIT_FILE_NAMES.items() if hub_name in names), None)
        if split is not None:
            tables[split] = (list(rows), f"{dataset_id}[{hub_name}]")
    return f"hub:{dataset_id}", tables


def _add_rows(data: RetrievalSet, split: str | None, rows: Iterable[dict], columns: dict[str, str | list[str]], sweep_file: str,
              where: str) -> None:
    """`split=None`: a single table whose splits are carved later; its rows land in 'train'."""
    available = table_columns(rows, sweep_file, where)
    role_to_column = {role: columns.get(role, role) for role in ROLES}
    for role in REQUIRED_ROLES:
        if role_to_column[role] not in available:
            key = f"data.columns.{role}"
            raise SweepInputError([problem(
                sweep_file, key, f"must name a column of {where} (the {role} text; columns there: {sorted(available)})",
                role_to_column[role],
            )])
    for role in ("negative", "group", NEGATIVES):
        named = columns.get(role)
        missing = [column for column in (named if isinstance(named, list) else [named]) if column is not None and column not in available]
        if missing:
            raise SweepInputError([problem(
                sweep_file, f"data.columns.{role}", f"must name columns of {where} (columns there: {sorted(available)})",
                missing if isinstance(named, list) else named,
            )])
    negative_columns = _negative_columns(columns, available)
    for row_number, row in enumerate(rows, start=1):
        texts = {role: row.get(role_to_column[role]) for role in ROLES}
        for role in REQUIRED_ROLES:
            if not isinstance(texts[role], str) or not texts[role].strip():
                raise SweepInputError([problem(
                    sweep_file, f"data.columns.{role}", f"must be non-empty text on every row of {where}",
                    f"{texts[role]!r} on row {row_number}",
                )])
        group = None if texts["group"] is None else str(texts["group"])
        data.add_pair(split or "train", texts["anchor"], texts["positive"], _row_negatives(row, negative_columns), group)
    data.make_groups_relevant()


def read_role_tables(data_config: DataConfig, roles: tuple[str, ...], sweep_file: str, base_dir: Path
                     ) -> tuple[str, dict[str | None, tuple[list[dict], str]], dict[str, str], list[str]]:
    """A table source whose columns play `roles` (each role's column is `data.columns.<role>`, else its own name):
    (origin, the tables that hold every role's column, role -> column, a problem per missing column)."""
    origin, tables = read_tables(data_config.source, base_dir, sweep_file, data_config.hub_split, data_config.delimiter)
    columns = {role: (data_config.columns).get(role, role) for role in roles}
    complete, problems = {}, []
    for split, (rows, where) in tables.items():
        available = table_columns(rows, sweep_file, where)
        missing = [role for role in roles if columns[role] not in available]
        problems += [problem(sweep_file, f"data.columns.{role}", f"must name a column of {where} (the {role}; columns there: "
                             f"{sorted(available)})", columns[role]) for role in missing]
        if not missing:
            complete[split] = (rows, where)
    return origin, complete, columns, problems


def table_columns(rows: list[dict], sweep_file: str, where: str) -> set[str]:
    if not rows:
        raise SweepInputError([problem(sweep_file, "data.source", "must hold at least one row", f"{where} with 0 rows")])
    return set(rows[0])


def _negative_columns(columns: dict, available: set[str]) -> list[str]:
    """The columns holding a row's negatives, in order: `negatives` (a list, or one list-valued column), else `negative`."""
    if NEGATIVES in columns:
        named = columns[NEGATIVES]
        return list(named) if isinstance(named, list) else [named]
    if NEGATIVES in available:
        return [NEGATIVES]
    return [columns.get("negative", "negative")]


def _row_negatives(row: dict, negative_columns: list[str]) -> list[str]:
    negatives = []
    for column in negative_columns:
        value = row.get(column)
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and text.strip():
                negatives.append(text)
    return negatives


def _first_existing(folder: Path, *names: str) -> Path | None:
    return next((folder / name for name in names if (folder / name).exists()), None)


def _split_files(folder: Path) -> dict[str, Path]:
    found = {}
    for split, names in SPLIT_FILE_NAMES.items():
        for name in names:
            for suffix in (*TABLE_SUFFIXES, ".jsonl.gz"):
                if (folder / f"{name}{suffix}").exists() and split not in found:
                    found[split] = folder / f"{name}{suffix}"
    return found


def _is_pattern(source: str) -> bool:
    return any(char in Path(source).name for char in "*?[")


def _split_files_by_name(files: list[Path]) -> tuple[dict[str, Path], dict[str, list[str]]]:
    """Split files as people name them (`stsb-de-train.csv`, `dev.tsv`, `my_valid_set.jsonl`): a split's word as a
    token of the file's name. (one file per split, {split: every file named for it} where there are several)."""
    matched: dict[str, list[Path]] = {}
    for file in files:
        if not (file.suffix in TABLE_SUFFIXES or file.name.endswith(".jsonl.gz")):
            continue
        tokens = set(re.split(r"[^a-z0-9]+", file.name.lower().removesuffix(".gz").rsplit(".", 1)[0]))
        for split, names in SPLIT_FILE_NAMES_BY_TOKEN.items():
            if tokens & set(names):
                matched.setdefault(split, []).append(file)
    ambiguous = {split: [file.name for file in found] for split, found in matched.items() if len(found) > 1}
    return {split: found[0] for split, found in matched.items() if len(found) == 1}, ambiguous


def _pattern_for(name: str) -> str:
    """`stsb-de-dev.csv` -> `stsb-de-*`: the file's name up to the word that says its split."""
    words = "|".join(word for names in SPLIT_FILE_NAMES_BY_TOKEN.values() for word in names)
    found = re.search(rf"(?<![a-z0-9])({words})(?![a-z0-9])", name.lower())
    return name[:found.start()] + "*" if found else name


def _looks_like_hub_id(source: str) -> bool:
    parts = source.split("/")
    return 1 <= len(parts) <= 2 and all(part and not part.startswith(".") for part in parts) and "\\" not in source
