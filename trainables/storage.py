"""Where a sweep keeps what outlives a trial's process: a folder every node sees, or an object-store URI
(`s3://bucket/prefix`, `gs://…`), reached through pyarrow's filesystems, as Ray's own storage layer does.

Credentials and endpoints come from the standard environment of each process (AWS_ACCESS_KEY_ID,
AWS_ENDPOINT_URL, …) or the cloud's instance roles; nothing here takes or stores them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# pyarrow's own schemes (FileSystem.from_uri); `file://` is a folder.
OBJECT_STORE_SCHEMES = ("s3", "gs", "gcs", "abfs", "abfss", "hdfs", "viewfs")


def is_uri(location: str) -> bool:
    return "://" in location


def join(location: str, *parts: str) -> str:
    return "/".join([location.rstrip("/"), *parts])


@dataclass(frozen=True)
class Storage:
    """A filesystem and a path in it. An S3 filesystem looks its credentials up at every request, in this process's
    environment or credential files (sweeps/secrets.py moves the driver's into a file while Tune runs)."""

    filesystem: object  # pyarrow.fs.FileSystem
    path: str

    @classmethod
    def at(cls, location: str) -> Storage:
        import pyarrow.fs

        if is_uri(location):
            filesystem, path = pyarrow.fs.FileSystem.from_uri(location)
            return cls(filesystem, path)
        return cls(pyarrow.fs.LocalFileSystem(), os.path.abspath(location))

    def child(self, *parts: str) -> Storage:
        return Storage(self.filesystem, join(self.path, *parts))

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def parent(self) -> str:
        return self.path.rsplit("/", 1)[0]

    def exists(self) -> bool:
        import pyarrow.fs

        return self.filesystem.get_file_info(self.path).type != pyarrow.fs.FileType.NotFound

    def touch(self, text: str = "") -> None:
        self.filesystem.create_dir(self.parent, recursive=True)
        with self.filesystem.open_output_stream(self.path) as stream:
            stream.write(text.encode())

    def remove(self) -> None:
        """The file or the folder, if it is there."""
        import pyarrow.fs

        kind = self.filesystem.get_file_info(self.path).type
        if kind == pyarrow.fs.FileType.Directory:
            self.filesystem.delete_dir(self.path)
        elif kind == pyarrow.fs.FileType.File:
            self.filesystem.delete_file(self.path)

    def size(self) -> int:
        import pyarrow.fs

        if not self.exists():
            return 0
        listing = self.filesystem.get_file_info(pyarrow.fs.FileSelector(self.path, recursive=True, allow_not_found=True))
        return sum(info.size or 0 for info in listing if info.type == pyarrow.fs.FileType.File)
