"""The deployment files, checked without running them (fast, no container tools).

- ``deploy/k8s/*.yaml`` validate against the Kubernetes JSON schemas
  (``kubernetes-validate``, offline, strict: unknown fields fail) and fit
  together: liveness on /health/live, readiness and start-up on /health/ready,
  the Service and autoscaler find the Deployment, the pod runs as the image's user
  on the image's port.
- ``compose.yaml`` has the service, port, health check, restart policy, memory
  limit and the example of choosing the model by environment.
- The ``Dockerfile`` keeps the shape the issue asks for, and ``.dockerignore``
  keeps tests, benchmarks and data out of the build.
- Every ``DIGITS_`` setting that ``app/settings.py`` reads is documented in the
  Dockerfile and in the README's configuration table.

``tests/deploy/test_container.py`` builds and runs the image for real.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
# The oldest Kubernetes the manifests promise to work on, and the newest known.
K8S_VERSIONS = ["1.27.0", kubernetes_validate.latest_version()]


def manifests() -> dict[str, dict[str, Any]]:
    """Every document in deploy/k8s, by kind."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                assert document["kind"] not in found, f"two {document['kind']}s in deploy/k8s"
                found[document["kind"]] = document
    return found


def pod_container() -> dict[str, Any]:
    return manifests()["Deployment"]["spec"]["template"]["spec"]["containers"][0]


def dockerfile() -> str:
    return (REPO / "Dockerfile").read_text()


def dockerfile_instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` in order, continuation lines joined, comments dropped."""
    lines = [line for line in dockerfile().splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in joined.splitlines()
        if line.strip()
    ]


def image_uid() -> int:
    user = [args for name, args in dockerfile_instructions() if name == "USER"][-1]
    return int(user.split(":")[0])


def mebibytes(quantity: str) -> float:
    units = {"Mi": 1, "Gi": 1024}
    return float(quantity[:-2]) * units[quantity[-2:]]


def settings_names() -> list[str]:
    """The DIGITS_ variables app/settings.py reads (its ``read.value("NAME", ...)`` calls)."""
    source = (REPO / "app" / "settings.py").read_text()
    names = re.findall(r'read\.value\(\s*"([A-Z_]+)"', source)
    assert len(names) >= 10, "app/settings.py changed shape: update settings_names()"
    return [f"DIGITS_{name}" for name in names]


# --- Kubernetes -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("path", sorted(K8S.glob("*.yaml")), ids=lambda p: p.name)
def test_manifest_matches_the_kubernetes_schema(path: Path, version: str) -> None:
    for document in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(document, version, strict=True)


def test_validation_catches_mistakes() -> None:
    """The check above can fail: a misspelt field and a wrong type are both refused."""
    deployment = manifests()["Deployment"]
    misspelt = json.loads(json.dumps(deployment))
    container = misspelt["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    wrong_type = json.loads(json.dumps(deployment))
    wrong_type["spec"]["replicas"] = "two"
    for broken in (misspelt, wrong_type):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)


def test_all_parts_are_there() -> None:
    assert {"Deployment", "Service", "HorizontalPodAutoscaler"} <= set(manifests())


#: Which health answer each probe asks: alive (restart if not), able to predict (traffic).
PROBE_PATHS = {
    "livenessProbe": "/health/live",
    "readinessProbe": "/health/ready",
    "startupProbe": "/health/ready",
}


def test_probes_use_the_liveness_and_readiness_answers() -> None:
    """/health said 200 while nothing could be predicted: readiness now makes a test
    prediction (up to 5 s, app.service.health), so its probe waits longer than that."""
    container = pod_container()
    port_names = {port["name"] for port in container["ports"]}
    for probe, path in PROBE_PATHS.items():
        check = container[probe]["httpGet"]
        assert check["path"] == path, probe
        assert check["port"] in port_names or check["port"] == 8000, probe
    assert container["readinessProbe"]["timeoutSeconds"] > 5


def test_shutdown_grace_fits_in_the_pods_termination_grace() -> None:
    """Kubernetes kills the pod after terminationGracePeriodSeconds; the server must
    have closed its requests before that."""
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    from app.settings import Settings

    assert Settings().shutdown_grace_s < pod["terminationGracePeriodSeconds"]


def test_pod_matches_the_image() -> None:
    """Same port as EXPOSE, and the image's numeric user with runAsNonRoot."""
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    exposed = [args for name, args in dockerfile_instructions() if name == "EXPOSE"]
    assert [port["containerPort"] for port in container["ports"]] == [int(exposed[0])]
    security = pod["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == image_uid() != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_resources_are_requested_and_limited() -> None:
    """The autoscaler's CPU percentage needs a CPU request; memory is measured by
    tests/deploy/test_container.py against these same numbers."""
    resources = pod_container()["resources"]
    for kind in ("cpu", "memory"):
        assert kind in resources["requests"] and kind in resources["limits"], kind
    assert mebibytes(resources["requests"]["memory"]) <= mebibytes(resources["limits"]["memory"])


def test_service_and_autoscaler_find_the_deployment() -> None:
    found = manifests()
    deployment, service, hpa = (
        found[kind] for kind in ("Deployment", "Service", "HorizontalPodAutoscaler")
    )
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    port_names = {port["name"] for port in pod_container()["ports"]}
    assert all(port["targetPort"] in port_names for port in service["spec"]["ports"])
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    metrics = [m["resource"]["name"] for m in hpa["spec"]["metrics"] if m["type"] == "Resource"]
    assert metrics == ["cpu"]
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


# --- Compose ---------------------------------------------------------------------------------


def test_compose_service() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    service = compose["services"]["digits"]
    assert service["build"]["context"] == "."
    assert "8000:8000" in service["ports"]
    assert "/health/ready" in " ".join(service["healthcheck"]["test"])
    assert service["restart"] in ("always", "unless-stopped", "on-failure")
    memory = service["deploy"]["resources"]["limits"]["memory"]
    k8s_limit = pod_container()["resources"]["limits"]["memory"]
    assert memory.rstrip("M") == k8s_limit.rstrip("Mi"), "compose and k8s memory limits differ"
    # The model chosen by environment: `DIGITS_MODEL=mlp docker compose up`.
    assert service["environment"]["DIGITS_MODEL"].startswith("${DIGITS_MODEL")


# --- Dockerfile and build context -------------------------------------------------------------


def test_dockerfile_shape() -> None:
    steps = dockerfile_instructions()
    names = [name for name, _ in steps]
    assert steps[0] == ("ARG", "BASE_IMAGE=python:3.12-slim")
    assert steps[1] == ("FROM", "${BASE_IMAGE}")
    first_code = next(i for i, (n, a) in enumerate(steps) if n == "COPY" and "app/" in a)
    install_deps = next(i for i, (n, a) in enumerate(steps) if n == "RUN" and "-r " in a)
    assert install_deps < first_code, "dependencies must install before the code is copied"
    sources = {args.split()[0].rstrip("/") for name, args in steps if name == "COPY"}
    assert sources == {"pyproject.toml", "app", "model", "templates", "static", "weights"}
    assert image_uid() != 0
    assert "EXPOSE" in names and "HEALTHCHECK" in names
    command = [args for name, args in steps if name == "CMD"][-1]
    assert json.loads(command)[-1] == "exec digits serve", "CMD: exec form, running digits serve"
    assert "forwarded-allow-ips" not in command, "trusted proxies are DIGITS_FORWARDED_ALLOW_IPS"


def test_dockerignore_keeps_the_context_small() -> None:
    rules = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", "ignore everything, then allow what the image needs"
    allowed = {rule[1:].rstrip("/").split("/")[0] for rule in rules if rule.startswith("!")}
    assert allowed == {"pyproject.toml", "app", "model", "templates", "static", "weights"}


# --- Every setting documented -----------------------------------------------------------------


@pytest.mark.parametrize("where", ["Dockerfile", "README.md"])
def test_every_setting_is_documented(where: str) -> None:
    text = (REPO / where).read_text()
    if where == "README.md":
        assert "## Configuration" in text, "README.md has no Configuration section"
        text = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in settings_names() if not re.search(rf"\b{name}\b", text)]
    assert not missing, f"{where} does not document {missing}"


# --- The image's command ----------------------------------------------------------------------


def test_the_image_command_with_two_workers_and_bad_weights_exits_non_zero(
    tmp_path: Path,
) -> None:
    """uvicorn's supervisor exits 0 when its workers fail to start, so a container with
    DIGITS_WORKERS=2 and a damaged weights file looked like a clean stop."""
    import os
    import subprocess

    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "digits-weights", "version": 1}')
    command = json.loads([args for name, args in dockerfile_instructions() if name == "CMD"][-1])
    environment = {
        **os.environ,
        "DIGITS_WORKERS": "2",
        "DIGITS_WEIGHTS": str(bad),
        "DIGITS_PORT": "18999",
        "DIGITS_HOST": "127.0.0.1",
    }
    result = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert result.returncode != 0
    assert "bad.json" in result.stderr and "Traceback" not in result.stderr
