"""The libraries' log file of a sweep."""


def test_a_log_file_that_cannot_be_written_says_so_once(tmp_path, capsys):
    """A full disk under the log file: one line, then silence, never a traceback per record."""
    import logging

    from sweeps.running.library_logs import LibraryLogFile

    handler = LibraryLogFile(tmp_path / "sweep.log", encoding="utf-8")
    handler.stream = open("/dev/full", "w")  # every write fails with ENOSPC, as on a full disk
    logger = logging.getLogger("sweeps-test-full-disk")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for index in range(50):
            logger.warning("line %d", index)
    finally:
        logger.removeHandler(handler)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"logs: writing {tmp_path / 'sweep.log'} failed (") and "No space left on device" in err[0]
