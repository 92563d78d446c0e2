"""Planted secrets, and the search for them in everything a sweep leaves behind, Ray's session logs included.

Each test gives Ray a temp dir of its own (RAY_TMPDIR for a CLI's local cluster, `ray start --temp-dir`
for a loopback cluster), waits for every Ray process using it to exit, then searches all of its sessions:
no `session_latest` link that may point elsewhere, no log still being written.
"""

import tempfile
import time
from pathlib import Path

import psutil

PLANTED = {
    "HF_TOKEN": "hf_PLANTEDhubtoken1234",
    "MY_SERVICE_API_KEY": "PLANTEDapikey5678",
    "GITHUB_TOKEN": "PLANTEDgithub3456",
    # Every variable Ray Tune copies into a trial actor's runtime env.
    "AWS_ACCESS_KEY_ID": "PLANTEDawskeyid4321",
    "AWS_SECRET_ACCESS_KEY": "PLANTEDawssecret9012",
    "AWS_SECURITY_TOKEN": "PLANTEDawssecuritytoken6543",
    "AWS_SESSION_TOKEN": "PLANTEDawssession8765",
}


def ray_temp_dir() -> Path:
    """Short, under /tmp: Ray puts unix sockets in it, whose paths may not pass 107 characters."""
    return Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))


def files_under(folder: Path):
    return [path for path in folder.rglob("*") if path.is_file() and not path.is_symlink()]


def wait_for_ray_to_exit(temp_dir: Path, timeout: float = 60.0) -> None:
    """Ray's daemons (gcs_server, raylet, the log monitor) name their session folder on their command line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        users = []
        for process in psutil.process_iter(["cmdline"]):
            try:
                if any(str(temp_dir) in part for part in process.info["cmdline"] or []):
                    users.append(process.pid)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        if not users:
            return
        time.sleep(0.5)
    raise TimeoutError(f"Ray processes still use {temp_dir} after {timeout:.0f} s: {users}")


def ray_session_logs(temp_dir: Path) -> list[Path]:
    sessions = [path for path in temp_dir.rglob("session_*") if path.is_dir() and not path.is_symlink()]
    assert sessions, f"no Ray session under {temp_dir}: Ray ran elsewhere and its logs would go unsearched"
    return [path for session in sessions for path in files_under(session / "logs")]


def find_leaks(paths: list[Path], secrets: list[str]) -> list[tuple[str, str]]:
    return [(str(path), secret) for path in paths for secret in secrets if secret.encode() in path.read_bytes()]


def assert_nothing_leaked(workdir: Path, result, secrets: list[str], ray_temp: Path) -> None:
    """Every file the sweep wrote (the MLflow store, its artifacts, Tune's pickled state), Ray's logs, and the output."""
    wait_for_ray_to_exit(ray_temp)
    written = [path for path in files_under(workdir) if path.suffix != ".yaml"]
    assert any(path.name == "tuner.pkl" for path in written), "Tune's pickled state is among what is searched"
    ray_logs = ray_session_logs(ray_temp)
    assert any(path.name == "runtime_env_agent.log" for path in ray_logs), "the runtime-env agent's log is among what is searched"
    leaks = find_leaks(written + ray_logs, secrets)
    leaks += [("printed output", secret) for secret in secrets if secret in result.stdout + result.stderr]
    assert leaks == [], f"secrets found (file, secret): {leaks}"
