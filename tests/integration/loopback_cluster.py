"""Two Ray nodes and an MLflow server on 127.0.0.1, as separate processes: a cluster in miniature."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cluster_env(ray_temp: Path) -> dict:
    # A token of our own: Ray 2.60 turns token authentication on, and every node and driver must show it.
    # RAY_TMPDIR: the joining node and the drivers look for the cluster's sessions where the head keeps them.
    return {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": uuid.uuid4().hex,
            "HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_TMPDIR": str(ray_temp)}


def wait_until(check, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def alive_nodes(address: str, env: dict) -> int:
    probe = "import ray; ray.init(address=%r, logging_level='ERROR'); print(sum(n['Alive'] for n in ray.nodes()))" % address
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    return int(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 and done.stdout.strip() else 0


def server_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def mlflow_server(workdir: Path, env: dict | None = None, artifacts: str | None = None, db: Path | None = None):
    """`mlflow server` on 127.0.0.1 over a sqlite store (`db`, else a new one in `workdir`), artifacts proxied to
    `artifacts` (a folder by default, or an object-store URI): yields its URL once /health answers.

    One worker and no job execution, which is all the UI and the tracking API need: by default it also starts 4
    uvicorn workers, a job runner and 7 huey consumers, which answered after 10.6 s on 2 cores (4.7 s without) and kept
    competing with the sweep and the browser for the CPUs."""
    url = f"http://127.0.0.1:{free_port()}"
    with open(workdir / "mlflow-server.log", "w") as log:
        process = subprocess.Popen([BIN / "mlflow", "server", "--host", "127.0.0.1", "--port", url.rsplit(":", 1)[1],
                                    "--backend-store-uri", f"sqlite:///{db or workdir / 'server.db'}",
                                    "--artifacts-destination", artifacts or str(workdir / "server-artifacts"), "--workers", "1"],
                                   env={**(env or {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}), "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
                                   stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
        try:
            wait_until(lambda: server_up(url), "the MLflow server")
            yield url
        finally:
            process.terminate()
            process.wait(timeout=60)


@contextmanager
def loopback_cluster(workdir: Path, ray_temp: Path, cpus_per_node: int = 1, share_nothing: bool = False, node_env: dict | None = None,
                     artifacts: str | None = None):
    """Yields (ray address, MLflow server URL, env for drivers); Ray's sessions and logs go under `ray_temp`.
    `share_nothing`: each node has a folder of its own under `ray_temp` for Ray's sessions and for TMPDIR, as two
    machines would. `node_env` is added to the nodes' and the MLflow server's environment (credentials, say).
    Every process is stopped on the way out."""
    env = cluster_env(ray_temp / "head" if share_nothing else ray_temp)
    node_env = {**env, **(node_env or {})}
    address = f"127.0.0.1:{free_port()}"
    processes = []
    logs = []

    def start(name, command):
        own = {}
        if share_nothing:
            (ray_temp / name / "tmp").mkdir(parents=True, exist_ok=True)
            own = {"TMPDIR": str(ray_temp / name / "tmp")}
        common = ["--node-ip-address=127.0.0.1", f"--num-cpus={cpus_per_node}",
                  f"--temp-dir={ray_temp / name if share_nothing else ray_temp}", "--block"]
        log = open(workdir / f"{name}.log", "w")
        logs.append(log)
        processes.append(subprocess.Popen([*command, *common], env={**node_env, **own}, stdout=log, stderr=subprocess.STDOUT, cwd=workdir))

    try:
        start("head", [BIN / "ray", "start", "--head", f"--port={address.rsplit(':', 1)[1]}", "--include-dashboard=false"])
        wait_until(lambda: alive_nodes(address, env) == 1, "the Ray head")
        start("node2", [BIN / "ray", "start", f"--address={address}"])
        wait_until(lambda: alive_nodes(address, env) == 2, "the second Ray node")
        with mlflow_server(workdir, node_env, artifacts) as mlflow_url:
            yield address, mlflow_url, env
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
