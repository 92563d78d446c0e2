"""Data files as people have them: a BOM, the delimiter their spreadsheet chose, blank lines in jsonl."""

import pytest

from sweeps.data.readers import read_source, read_table

SPREADSHEET_ROWS = [("what does zip do?", "Iterate over several iterables in parallel and yield tuples."),
                    ("sort a list", "Return a new sorted list from the items in iterable."),
                    ("open a file", "Open file and return a corresponding file object.")]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"])
@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_the_delimiter_is_sniffed_whatever_the_suffix(tmp_path, delimiter, suffix):
    path = tmp_path / f"pairs{suffix}"
    path.write_text("\n".join(delimiter.join(row) for row in [("query", "passage"), *SPREADSHEET_ROWS]) + "\n")
    assert read_table(path) == [{"query": query, "passage": passage} for query, passage in SPREADSHEET_ROWS]


def test_data_delimiter_overrides_the_sniffer(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("query;passage\nsemi;colons, and commas, inside\n")
    assert read_table(path, delimiter=";") == [{"query": "semi", "passage": "colons, and commas, inside"}]


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("query,passage\r\nwhat,that\r\n".encode("utf-8-sig"))
    data = read_source(str(path), tmp_path, {"anchor": "query", "positive": "passage"}, "F")
    assert list(data.queries.values()) == ["what"] and read_table(path) == [{"query": "what", "passage": "that"}]
    bom_jsonl = tmp_path / "pairs.jsonl"
    bom_jsonl.write_bytes('{"query": "a", "passage": "b"}\n'.encode("utf-8-sig"))
    assert read_table(bom_jsonl) == [{"query": "a", "passage": "b"}]


def test_blank_lines_in_jsonl_are_skipped_and_counted_beside_the_origin(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text('\n{"query": "a", "passage": "b"}\n   \n\n{"query": "c", "passage": "d"}\n\n')
    assert [row["query"] for row in read_table(path)] == ["a", "c"]
    data = read_source(str(path), tmp_path, {"anchor": "query", "positive": "passage"}, "F")
    assert data.origin == f"{path} (4 blank lines skipped)" and list(data.queries.values()) == ["a", "c"]
    path.write_text('{"query": "a", "passage": "b"}\n')
    assert read_source(str(path), tmp_path, {"anchor": "query", "positive": "passage"}, "F").origin == str(path)
