"""The corrections database in the deployment files: PostgreSQL for several replicas.

``deploy/k8s/postgres/*.yaml`` validate against the Kubernetes schemas (strict)
and fit together with the Digits Deployment: the pods read
``DIGITS_DATABASE_URL`` from the Secret defined there, whose URL names the
database Service. Compose keeps SQLite on a volume (the root file system is
read-only) and has a ``postgres`` profile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from app.settings import Settings

REPO = Path(__file__).resolve().parents[2]
POSTGRES = REPO / "deploy" / "k8s" / "postgres"
VERSIONS = ["1.27.0", kubernetes_validate.latest_version()]


def documents() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(POSTGRES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            found[document["kind"]] = document
    return found


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", sorted(POSTGRES.glob("*.yaml")), ids=lambda p: p.name)
def test_postgres_manifests_match_the_kubernetes_schema(path: Path, version: str) -> None:
    for document in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(document, version, strict=True)


def test_the_pods_read_the_database_url_from_the_secret() -> None:
    deployment = yaml.safe_load((REPO / "deploy" / "k8s" / "deployment.yaml").read_text())
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    url = next(item for item in env if item["name"] == "DIGITS_DATABASE_URL")
    reference = url["valueFrom"]["secretKeyRef"]
    found = documents()
    secret = found["Secret"]
    assert reference["name"] == secret["metadata"]["name"]
    database_url = secret["stringData"][reference["key"]]
    settings = Settings.from_env({"DIGITS_DATABASE_URL": database_url})  # parses as a setting
    assert settings.database.startswith("postgresql+psycopg://")
    service = found["Service"]
    assert f"@{service['metadata']['name']}:{service['spec']['ports'][0]['port']}/" in database_url
    pod_labels = found["StatefulSet"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


def test_compose_keeps_sqlite_on_a_volume_and_has_a_postgres_profile() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    digits = compose["services"]["digits"]
    assert "digits-data:/data" in digits["volumes"]
    assert digits["environment"]["DIGITS_DATABASE_URL"].startswith("${DIGITS_DATABASE_URL")
    postgres = compose["services"]["postgres"]
    assert postgres["profiles"] == ["postgres"]
    assert set(compose["volumes"]) == {"digits-data", "postgres-data"}
