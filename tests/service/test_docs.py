"""``/docs`` and ``/redoc`` are served whole by the server: no CDN, a policy that allows only self.

The browser test (``tests/browser``) opens them with every outside request
blocked; these check the HTML and the policy without a browser.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient

from app.service.docs import ASSETS_URL, INLINE_SCRIPT, docs_policy

DOCS_PAGES = ("/docs", "/redoc")


@pytest.mark.parametrize("path", DOCS_PAGES)
def test_docs_load_only_from_this_server(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert links, page.text
    assert all(link.startswith("/") and not link.startswith("//") for link in links), links
    assert "fonts.googleapis" not in page.text and "cdn" not in page.text.lower()
    for link in links:
        asset = client.get(link)
        assert asset.status_code == 200, link
        if link.startswith(ASSETS_URL):
            assert len(asset.content) > 100_000, link  # the viewer itself, not a stand-in


@pytest.mark.parametrize(("path", "inline_scripts"), [("/docs", 1), ("/redoc", 0)])
def test_docs_policy_names_each_inline_script_by_hash(
    client: TestClient, path: str, inline_scripts: int
) -> None:
    page = client.get(path)
    scripts = INLINE_SCRIPT.findall(page.text)
    assert len(scripts) == inline_scripts  # Swagger UI is started by one; ReDoc by a tag
    policy = page.headers["content-security-policy"]
    assert policy.count("'sha256-") == inline_scripts
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert policy == docs_policy(page.text)


def test_the_docs_assets_are_the_viewers(client: TestClient) -> None:
    swagger = client.get(f"{ASSETS_URL}/swagger-ui-bundle.js")
    redoc = client.get(f"{ASSETS_URL}/redoc.standalone.js")
    assert "SwaggerUIBundle" in swagger.text
    assert "Redoc" in redoc.text[:2000]
    assert client.get(f"{ASSETS_URL}/missing.js").status_code == 404


def test_a_changed_script_breaks_the_policy() -> None:
    """The hash is of the script as sent: another script would be refused."""
    one = docs_policy("<script>start()</script>")
    other = docs_policy("<script>start(1)</script>")
    assert one != other and "'sha256-" in one
