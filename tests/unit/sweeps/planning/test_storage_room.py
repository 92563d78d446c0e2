"""A local storage folder with too little room for the checkpoints is refused before anything starts."""

from sweeps.planning.storage_room import storage_room_problems
from sweeps.sweep_file.model_refs import shipped_model_folder


def test_room_is_counted_from_the_model_size_the_running_trials_and_the_kept_models(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    minilm = {"all-MiniLM-L6-v2": str(shipped_model_folder("all-MiniLM-L6-v2"))}
    assert storage_room_problems(str(tmp_path / "results"), minilm, 1, 1, "grid.yaml") == []
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 50_000_000, 50_000_000))  # a disk with 50 MB left
    (line,) = storage_room_problems(str(tmp_path / "results"), minilm, 2, 1, "grid.yaml")
    assert line == ("grid.yaml: `storage_path` must have room for the sweep's checkpoints (about 779.9 MB at peak: 4 x 86.7 MB per "
                    f"running trial, 2 at once, and 1 kept model(s)), but got '{tmp_path / 'results'}: 47.7 MB free'")
    assert storage_room_problems("s3://bucket/sweeps", minilm, 2, 1, "grid.yaml") == []  # an object store's room is not ours to count
