"""The Docker image built with buildah, and its own command run as a container.

No Docker engine runs on the test machines, but buildah does:
``../shared/tools/container-base`` makes a local Debian Python base image once,
the Dockerfile is built against it, and the image's own command runs with
``buildah run`` (chroot isolation, host network) in its own process group, so
that ``stop`` ends all of it. The command, environment and user come from the
built image's configuration; the only override is ``DIGITS_PORT`` (a free port,
as ``docker run -e`` would set it), so that a test never collides with a server
already on 8000.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BASE_TOOL = REPO.parent / "shared" / "tools" / "container-base"
BASE_IMAGE = "localhost/python-base:bookworm"  # what BASE_TOOL makes
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BUILDAH_RUN = ["buildah", "run", "--isolation", "chroot", "--network", "host"]
START_TIMEOUT = 120  # seconds for /health to answer, on a busy 2-core machine

_serial = itertools.count()


def unique_name() -> str:
    """A name for a buildah working container or image of this test run."""
    return f"digits-test-{os.getpid()}-{next(_serial)}"


def run(cmd: list[str], timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        command = " ".join(cmd[:3])
        pytest.fail(f"`{command} ...` failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


# --- The image ------------------------------------------------------------------------------


@dataclass
class Image:
    name: str
    config: dict[str, Any]  # the Docker config: Cmd, Env, User, Healthcheck, ExposedPorts
    size_bytes: int
    build_seconds: float

    @property
    def env(self) -> dict[str, str]:
        return dict(item.split("=", 1) for item in self.config.get("Env") or [])

    @property
    def uid(self) -> int:
        user = str(self.config.get("User") or "0").split(":")[0]
        return int(user) if user.isdigit() else -1  # -1: a name, not a number


def base_image() -> str:
    """The local base image, made once per machine by the shared tool."""
    if BASE_TOOL.is_file():
        return run(["bash", str(BASE_TOOL)], timeout=900).stdout.strip().splitlines()[-1]
    if shutil.which("buildah") is None:
        pytest.skip(f"neither buildah nor {BASE_TOOL} is available: cannot build the image")
    return BASE_IMAGE  # buildah but not the tool: the base must exist already


def run_in_image(image: Image, command: list[str], *env: str) -> subprocess.CompletedProcess:
    """Run a short command in a fresh working container of the image."""
    name = unique_name()
    run(["buildah", "from", "--name", name, image.name])
    try:
        return run([*BUILDAH_RUN, *(f"--env={e}" for e in env), name, "--", *command], 60, False)
    finally:
        run(["buildah", "rm", name], check=False)


# --- Running the image's own command ----------------------------------------------------


@dataclass
class Container:
    image: Image
    name: str  # the buildah working container
    port: int
    process: subprocess.Popen  # `buildah run`, leader of its own process group
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def server_pids(self) -> list[int]:
        """The processes of the container's command: its process group, minus buildah's own."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getpgid(int(entry.name)) != self.process.pid:
                    continue
                exe = Path(os.readlink(entry / "exe")).name
            except OSError:  # gone meanwhile
                continue
            if "buildah" not in exe:  # buildah, memfd:buildah-chroot-runtime, -exec
                pids.append(int(entry.name))
        return pids

    def worker_pids(self) -> list[int]:
        """uvicorn's worker processes (started through multiprocessing's spawn)."""
        return [pid for pid in self.server_pids() if "spawn_main" in cmdline(pid)]


def start(image: Image, logs: Path, **env: str) -> Container:
    """Start the image's ``Cmd`` with the image's environment and user; wait for /health."""
    name = unique_name()
    run(["buildah", "from", "--name", name, image.name])
    port = free_port()
    overrides = [f"--env={key}={value}" for key, value in {"DIGITS_PORT": port, **env}.items()]
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*BUILDAH_RUN, *overrides, name, "--", *image.config["Cmd"]],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends all of it
        )
    container = Container(image, name, port, process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stop(container)
            pytest.fail(f"the container's command exited ({process.returncode}):\n{tail(log)}")
        try:
            if request(container.url + "/health", timeout=2)[0] == 200:
                return container
        except (OSError, ValueError):
            pass  # not listening yet
        time.sleep(0.5)
    stop(container)
    pytest.fail(f"no answer on /health within {START_TIMEOUT} s:\n{tail(log)}")


def stop(container: Container) -> None:
    """Stop the whole process group: killing only buildah leaves the server running."""
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(container.process.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while container.server_pids() and time.monotonic() < deadline:
            time.sleep(0.2)
        if not container.server_pids():
            break
    container.process.wait(timeout=10)
    run(["buildah", "rm", container.name], check=False)


# --- Small helpers ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(url: str, body: dict | None = None, timeout: float = 30) -> tuple[int, Any]:
    """GET (or POST ``body`` as JSON); the status and the decoded JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
