"""The page's files: kept a year under versioned URLs, revalidated under plain ones, gzipped."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from app.service.assets import FOREVER, folder_version
from app.service.docs import ASSETS_URL

GZIP = {"Accept-Encoding": "gzip"}


def linked_files(client: TestClient) -> list[str]:
    page = client.get("/").text
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', page)


def test_the_page_links_its_files_under_the_version(client: TestClient) -> None:
    version = folder_version(Path(client.app.state.settings.static_dir))
    links = linked_files(client)
    assert {"favicon.svg", "app.css", "app.js"} <= {link.rsplit("/", 1)[1] for link in links}
    for link in links:
        assert link.startswith(f"/static/{version}/")
        response = client.get(link)
        assert response.status_code == 200
        assert response.headers["cache-control"] == FOREVER


def test_the_modules_an_entry_point_imports_are_versioned_with_it(client: TestClient) -> None:
    entry = next(link for link in linked_files(client) if link.endswith("/app.js"))
    source = client.get(entry).text
    imports = re.findall(r'from "(\./[^"]+)"', source)
    assert imports, "app.js imports its modules by relative path"
    for module in imports:
        response = client.get(entry.rsplit("/", 1)[0] + module[1:])
        assert response.status_code == 200 and response.headers["cache-control"] == FOREVER


def test_plain_static_urls_are_revalidated(client: TestClient) -> None:
    first = client.get("/static/js/app.js")
    assert first.headers["cache-control"] == "no-cache"
    again = client.get("/static/js/app.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_a_changed_file_changes_the_version(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    script = tmp_path / "js" / "app.js"
    script.write_text("console.log(1);\n")
    before = folder_version(tmp_path)
    assert folder_version(tmp_path) == before  # the same files, the same version
    script.write_text("console.log(2);\n")
    assert folder_version(tmp_path) != before
    assert folder_version(tmp_path / "missing") == "0"


def test_text_is_compressed_and_small_answers_are_not(client: TestClient) -> None:
    script = client.get("/static/js/app.js", headers=GZIP)
    assert script.headers["content-encoding"] == "gzip"
    assert "function" in script.text  # the client undid the compression
    page = client.get("/", headers=GZIP)
    assert page.headers["content-encoding"] == "gzip"
    health = client.get("/health", headers=GZIP)
    assert "content-encoding" not in health.headers
    plain = client.get("/static/js/app.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_the_docs_viewers_are_kept_and_compressed(client: TestClient) -> None:
    response = client.get(f"{ASSETS_URL}/swagger-ui-bundle.js", headers=GZIP)
    assert response.headers["cache-control"] == FOREVER
    assert response.headers["content-encoding"] == "gzip"
