"""A local S3: moto's server on 127.0.0.1, and what a test reads back from it with boto3."""

import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from loopback_cluster import free_port, wait_until

BIN = Path(sys.executable).parent


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


@contextmanager
def s3_server(workdir: Path, bucket: str, credentials: dict):
    """Yields the environment that reaches it: the credentials, AWS_ENDPOINT_URL and MLFLOW_S3_ENDPOINT_URL."""
    url = f"http://127.0.0.1:{free_port()}"
    with open(workdir / "s3-server.log", "w") as log:
        process = subprocess.Popen([BIN / "moto_server", "-H", "127.0.0.1", "-p", url.rsplit(":", 1)[1]], stdout=log,
                                   stderr=subprocess.STDOUT, cwd=workdir)
        try:
            wait_until(lambda: _up(url), "the S3 server", timeout=60)
            env = {**credentials, "AWS_ENDPOINT_URL": url, "MLFLOW_S3_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1"}
            client(env).create_bucket(Bucket=bucket)
            yield env
        finally:
            process.terminate()
            process.wait(timeout=60)


def client(env: dict):
    import boto3

    return boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_DEFAULT_REGION"])


def keys(env: dict, bucket: str, prefix: str = "") -> list[str]:
    pages = client(env).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def read(env: dict, bucket: str, key: str) -> bytes:
    return client(env).get_object(Bucket=bucket, Key=key)["Body"].read()
