"""The Docker image, built from the Dockerfile and run for real with buildah.

The image is built once for this module against a local Debian Python base
image, and its own command runs as a container (``container_image.py`` tells
how, without a Docker engine) with only ``DIGITS_PORT`` overridden.

The image size and the server's memory after warm-up (and its peak after the
largest image the Kubernetes Deployment accepts) are printed and written to
``reports/container.json``. They size the memory in ``deploy/k8s/`` and
``compose.yaml``, and the test checks that they still fit.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import math
import statistics
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from container_image import (
    CA_BUNDLE,
    REPO,
    Container,
    Image,
    base_image,
    free_port,
    request,
    run,
    run_in_image,
    start,
    stop,
    unique_name,
)
from PIL import Image as PILImage
from PIL import ImageDraw
from strokes import render, strokes_for

pytestmark = [pytest.mark.slow, pytest.mark.container]

K8S_DEPLOYMENT = REPO / "deploy" / "k8s" / "deployment.yaml"
REPORT = REPO / "reports" / "container.json"


# --- The image: built once for this module, removed afterwards ---------------------------


@pytest.fixture(scope="module")
def image() -> Iterator[Image]:
    base = base_image()
    if not list((REPO / "weights").glob("*.json")):
        pytest.fail("no weights/*.json in the checkout: the image would have no model to serve")
    name = f"localhost/{unique_name()}"
    cmd = ["buildah", "bud", "--isolation", "chroot", "--network", "host"]
    cmd += ["--format", "docker"]  # the OCI format drops HEALTHCHECK
    if CA_BUNDLE.is_file():  # pip inside the build trusts the host's certificates
        cmd += ["-v", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"]
    cmd += ["--build-arg", f"BASE_IMAGE={base}", "-t", name, str(REPO)]
    started = time.monotonic()
    run(cmd, timeout=900)
    build_seconds = time.monotonic() - started
    try:
        config = json.loads(run(["buildah", "inspect", "--type", "image", name]).stdout)
        size = json.loads(run(["podman", "image", "inspect", name]).stdout)[0]["Size"]
        yield Image(name, config["Docker"]["config"], int(size), build_seconds)
    finally:
        run(["buildah", "rmi", "--force", name], check=False)


@pytest.fixture(scope="module")
def container(image: Image, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    running = start(image, tmp_path_factory.mktemp("container"))
    yield running
    stop(running)
    assert not running.server_pids(), "server processes outlived the container's stop"


# --- Small helpers ------------------------------------------------------------------------


def uid_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])  # the real uid
    raise AssertionError(f"no Uid line for process {pid}")


def png_payload(image: PILImage.Image) -> dict[str, str]:
    """The JSON body the drawing page sends: the image as a PNG data URL."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return {"image": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()}


def drawn(digit: int) -> dict[str, str]:
    """A digit drawn as on the page: black ink on a white 280x280 canvas."""
    return png_payload(render(strokes_for(digit), size=(280, 280), width=20))


def big_photo(pixels: int) -> dict[str, str]:
    """A photo-sized image of a 1 with ``pixels`` pixels: compresses well, decodes big."""
    side = math.isqrt(pixels)
    image = PILImage.new("RGB", (side, side), "white")
    stem = [(side // 2, side // 5), (side // 2, 4 * side // 5)]
    ImageDraw.Draw(image).line(stem, fill="black", width=side // 15)
    return png_payload(image)


def memory_mib(pids: list[int]) -> dict[str, float]:
    """Resident memory of the processes now (RSS, and PSS: shared pages split) and at peak."""
    kib = {"Rss": 0, "Pss": 0, "VmHWM": 0}
    for pid in pids:
        for name in ("smaps_rollup", "status"):
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in kib:
                    kib[key] += int(value.split()[0])
    return {
        "rss_mib": round(kib["Rss"] / 1024, 1),
        "pss_mib": round(kib["Pss"] / 1024, 1),
        "peak_rss_mib": round(kib["VmHWM"] / 1024, 1),
    }


def deployment_container() -> dict[str, Any]:
    manifest = yaml.safe_load(K8S_DEPLOYMENT.read_text())
    return manifest["spec"]["template"]["spec"]["containers"][0]


def mebibytes(quantity: str) -> float:
    """A Kubernetes memory quantity (``256Mi``, ``1Gi``) in MiB."""
    units = {"Mi": 1, "Gi": 1024}
    return float(quantity[:-2]) * units[quantity[-2:]]


Publish = Callable[[str, dict[str, Any]], None]


@pytest.fixture
def publish(capsys: pytest.CaptureFixture[str]) -> Publish:
    """Show figures in pytest's output (past its capture) and keep them in reports/."""

    def write(key: str, figures: dict[str, Any]) -> None:
        REPORT.parent.mkdir(exist_ok=True)
        kept = json.loads(REPORT.read_text()) if REPORT.is_file() else {}
        kept[key] = figures
        REPORT.write_text(json.dumps(kept, indent=2) + "\n")
        with capsys.disabled():
            print(f"\ncontainer {key}: {json.dumps(figures)}")

    return write


# --- The tests ----------------------------------------------------------------------------


def test_image_configuration(image: Image) -> None:
    config = image.config
    assert image.uid > 0, f"the image must name a numeric non-root USER, not {config.get('User')!r}"
    assert "8000/tcp" in (config.get("ExposedPorts") or {})
    check = (config.get("Healthcheck") or {}).get("Test") or []
    assert check[:1] == ["CMD"] and "/health" in " ".join(check), (
        "no HEALTHCHECK on /health (buildah keeps it only with --format docker)"
    )
    command = " ".join(config["Cmd"])
    assert "digits serve" in command  # which reads DIGITS_PORT, DIGITS_WORKERS...
    assert image.env["DIGITS_HOST"] == "0.0.0.0"


def test_image_holds_only_the_server(image: Image) -> None:
    script = (
        "import importlib.util as u, json, os; print(json.dumps({"
        "'app': sorted(os.listdir('/app')), "
        "'package': u.find_spec('app').origin, "
        "'dev': [m for m in ('pytest', 'ruff', 'mypy', 'pip', 'playwright', 'tests') "
        "if u.find_spec(m)]}))"
    )
    result = run_in_image(image, ["python", "-c", script])
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["app"] == ["static", "templates", "weights"]
    assert found["package"].startswith("/opt/venv/"), found["package"]
    assert found["dev"] == [], f"development tools in the image: {found['dev']}"


def test_health_and_predict(container: Container) -> None:
    status, health = request(container.url + "/health")
    assert status == 200 and health["status"] == "ok", health
    for digit in (0, 3, 7):
        status, answer = request(container.url + "/predict", drawn(digit))
        assert status == 200, answer
        assert answer["digit"] == digit, f"drew a {digit}, the container answered {answer}"


def test_page_and_its_files_are_served(container: Container) -> None:
    with urllib.request.urlopen(container.url + "/", timeout=10) as response:
        page = response.read().decode()
    assert "<html" in page.lower()
    asset = page.split("/static/", 1)[1].split('"', 1)[0]  # the first file the page links
    with urllib.request.urlopen(f"{container.url}/static/{asset}", timeout=10) as response:
        assert response.status == 200 and response.read()


def test_runs_as_the_image_user(container: Container) -> None:
    pids = container.server_pids()
    assert pids, "no server process found"
    uids = {uid_of(pid) for pid in pids}
    assert uids == {container.image.uid}, f"the server's processes run as uids {uids}"


def test_healthcheck_command(image: Image, container: Container) -> None:
    """The image's HEALTHCHECK passes against the server, and fails with none listening."""
    check = image.config["Healthcheck"]["Test"][1:]
    up = run_in_image(image, check, f"DIGITS_PORT={container.port}")
    down = run_in_image(image, check, f"DIGITS_PORT={free_port()}")
    assert up.returncode == 0, up.stderr
    assert down.returncode != 0, "the health check passed with no server listening"


def test_size_and_memory_after_warm_up(
    image: Image, container: Container, publish: Publish
) -> None:
    _, health = request(container.url + "/health")
    for model in health["models"]:  # warm-up: every digit, every model
        for digit in range(10):
            status, _ = request(f"{container.url}/predict?model={model}", drawn(digit))
            assert status == 200
    warm = memory_mib(container.server_pids())
    env = {item["name"]: item.get("value") for item in deployment_container().get("env", [])}
    largest = int(env.get("DIGITS_MAX_PIXELS") or container.image.env.get("DIGITS_MAX_PIXELS", 0))
    assert largest, "the Deployment should set DIGITS_MAX_PIXELS (memory grows with it)"
    assert request(container.url + "/predict", big_photo(largest), timeout=120)[0] == 200
    peak = memory_mib(container.server_pids())["peak_rss_mib"]
    figures = {
        "image_size_mb": round(image.size_bytes / 1e6, 1),
        "build_seconds": round(image.build_seconds, 1),
        "models": health["models"],
        **warm,
        "peak_rss_mib_after_largest_image": peak,
        "largest_image_pixels": largest,
    }
    publish("workers_1", figures)
    resources = deployment_container()["resources"]
    request_mib, limit_mib = (mebibytes(resources[k]["memory"]) for k in ("requests", "limits"))
    # The sizing in deployment.yaml: the request holds the steady state and one of
    # the largest images in flight, the limit three of them at once.
    one_image = peak - warm["rss_mib"]
    assert peak < request_mib, f"{peak} MiB with one large image: over the {request_mib} request"
    assert warm["rss_mib"] + 3 * one_image < limit_mib, (
        f"three large images at once ({one_image:.0f} MiB each) break the {limit_mib} MiB limit"
    )
    assert image.size_bytes < 600e6, f"an image of {image.size_bytes / 1e6:.0f} MB"


def test_workers_from_environment(image: Image, tmp_path: Path, publish: Publish) -> None:
    """DIGITS_WORKERS=2 gives uvicorn's supervisor and two workers, all answering."""
    two = start(image, tmp_path, DIGITS_WORKERS="2")
    try:
        deadline = time.monotonic() + 60
        while len(workers := two.worker_pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)  # the second worker may still be starting
        for digit in range(10):
            assert request(two.url + "/predict", drawn(digit))[0] == 200
        keep_alive_ms = keep_alive_latency_ms(two.port)
        publish("workers_2", {**memory_mib(two.server_pids()), "keep_alive_ms": keep_alive_ms})
    finally:
        stop(two)
    assert len(workers) == 2, f"expected 2 uvicorn workers, found {len(workers)}"
    # With several workers uvicorn's own socket leaves Nagle's algorithm on unless
    # the CMD picks app.service.serving's protocol: each answer then waits ~40 ms for an ACK.
    assert keep_alive_ms < 20, f"{keep_alive_ms:.0f} ms per keep-alive /health request"


def keep_alive_latency_ms(port: int, requests: int = 20) -> float:
    """Median time of GET /health on one kept-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    times = []
    try:
        for _ in range(requests):
            started = time.perf_counter()
            connection.request("GET", "/health")
            response = connection.getresponse()
            assert response.status == 200
            response.read()
            times.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    return round(statistics.median(times), 1)
