"""``digits predict`` offline and ``digits serve`` on a port, as a user runs them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from api_images import blank_png, digit_png, number_png
from fastapi.testclient import TestClient

from app.cli.main import main


def written(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_predict_json_is_the_apis_answer(
    tmp_path: Path, models_dir: Path, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    seven = written(tmp_path, "seven.png", digit_png(7))
    code = main(
        ["predict", "--json", "--models-dir", str(models_dir), "--model", "mlp", str(seven)]
    )
    assert code == 0
    offline = json.loads(capsys.readouterr().out)
    online = client.post("/predict", files={"file": ("seven.png", seven.read_bytes())}).json()
    assert offline.keys() == online.keys()
    assert offline["model"] == online["model"]
    assert offline["top"] == online["top"] and offline["digit"] == online["digit"]
    assert offline["timing_ms"].keys() == online["timing_ms"].keys()


def test_predict_number_json_is_the_apis_answer(
    tmp_path: Path, models_dir: Path, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    year = written(tmp_path, "year.png", number_png("1984"))
    args = ["predict", "--json", "--number", "--top-k", "2", "--models-dir", str(models_dir)]
    assert main([*args, "--model", "mlp", str(year)]) == 0
    offline = json.loads(capsys.readouterr().out)
    online = client.post(
        "/predict/number", params={"top_k": 2}, files={"file": ("year.png", year.read_bytes())}
    ).json()
    assert offline["number"] == online["number"]
    assert offline["digits"] == online["digits"]


def test_predict_prints_one_line_per_file_and_fails_on_a_bad_one(
    tmp_path: Path, models_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [
        written(tmp_path, "one.png", digit_png(1)),
        written(tmp_path, "blank.png", blank_png()),
        written(tmp_path, "notes.txt", b"not an image"),
        tmp_path / "missing.png",
    ]
    code = main(["predict", "--models-dir", str(models_dir), *map(str, files)])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.startswith(f"{files[0]}: ") and out.count("\n") == 1
    assert f"{files[1]}: No digit found" in err
    assert f"{files[2]}: Cannot read the upload" in err
    assert f"{files[3]}: cannot read the file" in err


def test_predict_says_when_one_digit_looks_like_a_number(
    tmp_path: Path, models_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [
        written(tmp_path, "seven.png", digit_png(7)),
        written(tmp_path, "year.png", number_png("17", size=(360, 200))),
    ]
    assert main(["predict", "--models-dir", str(models_dir), *map(str, files)]) == 0
    seven, year = capsys.readouterr().out.splitlines()
    assert "digits" not in seven
    assert year.endswith("; it looks like 2 digits: try --number")


def test_predict_without_weights_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seven = written(tmp_path, "seven.png", digit_png(7))
    code = main(["predict", "--weights", str(tmp_path / "none.json"), str(seven)])
    assert code == 2
    assert "none.json: no such file" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_health(port: int, server: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("digits serve did not become healthy")


def children_of(pid: int) -> set[int]:
    """Processes whose parent is ``pid``, from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("options", [[], ["--predict-processes", "2"]])
def test_serve_answers_curl_style_uploads(
    tmp_path: Path, models_dir: Path, options: list[str]
) -> None:
    port = free_port()
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "DIGITS_MODEL": "mlp"}
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *options]
    server = subprocess.Popen(
        [*command, "--models-dir", str(models_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_health(port, server)
        boundary = "xyz123"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="7.png"\r\n'
                "Content-Type: image/png\r\n\r\n"
            ).encode()
            + digit_png(7)
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/predict",
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            answer = json.loads(reply.read())
        assert answer["model"]["name"] == "mlp" and 0 <= answer["digit"] <= 9
        pool = children_of(server.pid)
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert '"path": "/predict"' in output and '"status": 200' in output  # the access log
    assert len(pool) >= (2 if options else 0)  # the pool (and its resource tracker)...
    deadline = time.time() + 10
    while time.time() < deadline and any(Path(f"/proc/{pid}").exists() for pid in pool):
        time.sleep(0.1)
    assert not {pid for pid in pool if Path(f"/proc/{pid}").exists()}  # ...left with the server


def test_serve_with_a_missing_weights_file_stops_at_once(tmp_path: Path) -> None:
    began = time.time()
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--weights", str(tmp_path / "gone.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "gone.json: no such file" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.time() - began < 30


def test_predict_saves_what_the_network_saw(
    tmp_path: Path, models_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number = written(tmp_path, "year.png", number_png("1984"))
    seven = written(tmp_path, "seven.png", digit_png(7))
    out = tmp_path / "seen"
    args = ["predict", "--json", "--models-dir", str(models_dir), "--save-images", str(out)]
    assert main([*args, str(seven)]) == 0
    assert main([*args, "--number", str(number)]) == 0
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert answers[0]["image"] is None  # saved, not printed: --include-image was not given
    assert sorted(p.name for p in out.iterdir()) == [
        "seven.png",
        "year-1.png",
        "year-2.png",
        "year-3.png",
        "year-4.png",
    ]
    from PIL import Image

    with Image.open(out / "seven.png") as saved:
        assert saved.size == (28, 28)


@pytest.mark.parametrize(
    ("trusted", "proxy_headers", "allowed"),
    [(None, False, None), ("10.0.0.1, 10.0.0.2", True, ["10.0.0.1", "10.0.0.2"])],
)
def test_serve_believes_forwarded_headers_only_from_the_proxies_set(
    models_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    trusted: str | None,
    proxy_headers: bool,
    allowed: list[str] | None,
) -> None:
    """The image's command trusted X-Forwarded-For from any peer ('*'); now no one by
    default, and a shutdown waits DIGITS_SHUTDOWN_GRACE_S at most."""
    import uvicorn

    given: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: given.update(options))
    if trusted is None:
        monkeypatch.delenv("DIGITS_FORWARDED_ALLOW_IPS", raising=False)
    else:
        monkeypatch.setenv("DIGITS_FORWARDED_ALLOW_IPS", trusted)
    monkeypatch.setenv("DIGITS_SHUTDOWN_GRACE_S", "7")
    assert main(["serve", "--models-dir", str(models_dir)]) == 0
    assert given["proxy_headers"] is proxy_headers
    assert given["forwarded_allow_ips"] == allowed
    assert given["timeout_graceful_shutdown"] == 7


def test_a_stalled_upload_does_not_hold_a_shutdown_past_its_grace(models_dir: Path) -> None:
    """SIGTERM waited for a stalled upload (still running after 45 s); now the server
    gives requests in flight DIGITS_SHUTDOWN_GRACE_S, then closes them."""
    port = free_port()
    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "DIGITS_SHUTDOWN_GRACE_S": "2",
        "DIGITS_BODY_TIMEOUT_S": "600",  # the stall itself is not cut short here
        "DIGITS_FEEDBACK": "false",
    }
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--models-dir", str(models_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_health(port, server)
        stalled = socket.create_connection(("127.0.0.1", port))
        stalled.sendall(
            b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
            b"Content-Length: 100000\r\n\r\n" + digit_png(3)[:100]
        )
        time.sleep(0.5)
        began = time.monotonic()
        server.terminate()
        server.wait(timeout=30)
        took = time.monotonic() - began
        stalled.close()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert took < 10, f"the shutdown took {took:.1f} s"
