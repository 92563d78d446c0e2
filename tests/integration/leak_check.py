"""Planted secrets, and the search for them in everything a sweep leaves behind."""

from pathlib import Path

PLANTED = {
    "HF_TOKEN": "hf_PLANTEDhubtoken1234",
    "MY_SERVICE_API_KEY": "PLANTEDapikey5678",
    "AWS_SECRET_ACCESS_KEY": "PLANTEDawssecret9012",
    "GITHUB_TOKEN": "PLANTEDgithub3456",
}


def files_under(folder: Path):
    return [path for path in folder.rglob("*") if path.is_file() and not path.is_symlink()]


def assert_nothing_leaked(workdir: Path, result, secrets: list[str]) -> None:
    """Every file the sweep wrote (the MLflow store, its artifacts, Tune's pickled state), Ray's logs, and the output."""
    written = [path for path in files_under(workdir) if path.suffix != ".yaml"]
    ray_session = Path("/tmp/ray/session_latest")
    if ray_session.exists():
        written += files_under(ray_session.resolve() / "logs")
    assert any(path.name == "tuner.pkl" for path in written), "Tune's pickled state is among what is searched"
    leaks = [(str(path), secret) for path in written for secret in secrets if secret.encode() in path.read_bytes()]
    leaks += [("printed output", secret) for secret in secrets if secret in result.stdout + result.stderr]
    assert leaks == []
