"""The OpenAPI schema and the browsable docs page, served with local assets only."""

import re
from urllib.parse import urlparse

import pytest
import yaml
from django.contrib.staticfiles import finders

from conftest import SCREENSHOT_DIR

pytestmark = pytest.mark.django_db


def test_schema_is_openapi_3_and_lists_the_v1_endpoints(anon_api):
    response = anon_api.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/auth/token/", "/api/v1/signs/", "/api/v1/course/", "/api/v1/learners/{id}/select/"):
        assert path in schema["paths"], path
    # every operation documents the shared error body for its error statuses
    signs = schema["paths"]["/api/v1/signs/{name}/"]["get"]["responses"]
    assert signs["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"code", "detail"}


def test_docs_page_uses_only_local_assets(anon_api):
    html = anon_api.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    assert not re.search(r"https?://", html)
    # the page's own init script comes from the docs view itself (no inline script: CSP script-src 'self')
    assert "/api/docs/?script=" in assets
    for asset in (asset for asset in assets if asset != "/api/docs/?script="):
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset


def test_docs_page_renders_in_a_browser_without_leaving_the_server(chromium_page, live_server):
    requested_hosts = set()
    chromium_page.on("request", lambda request: requested_hosts.add(urlparse(request.url).netloc))
    chromium_page.goto(f"{live_server.url}/api/docs/")
    chromium_page.wait_for_selector("text=/api/v1/signs/")
    assert chromium_page.locator(".opblock").count() >= 10
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    chromium_page.screenshot(path=str(SCREENSHOT_DIR / "api-docs.png"), full_page=False)
    assert requested_hosts == {urlparse(live_server.url).netloc}


def test_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = yaml.safe_load((tmp_path / "schema.yaml").read_text())
    family = schema["paths"]["/api/v1/family/"]["get"]["responses"]
    assert sorted(family) == ["200", "401"]  # no parameters, no pagination, nothing to refuse
    create = schema["paths"]["/api/v1/attempts/"]["post"]["responses"]
    assert {"202", "400", "401", "403", "415", "429"} <= set(create)
