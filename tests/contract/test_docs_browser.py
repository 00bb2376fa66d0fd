"""/docs renders its operations in headless Chromium with no network: Swagger UI's assets come from
the service itself, under a Content-Security-Policy that names no other origin.

An operator reaches /docs as docs/security.md says: on the service port with the admin token as a
bearer token (the browser sends it with every request, as a header extension or an authenticating
proxy does), or on the operator port without one.
"""

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect, sync_playwright

from storefront.web.operator import DOCS_CSP
from tests.dashboard.test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS
from tests.security.test_servers import ADMIN_TOKEN, serving
from tests.support import databases

# Every host name resolves to nothing but the loopback address: no request can leave the machine.
OFFLINE_ARGS = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@dataclass
class Visit:
    page: Page
    foreign: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=OFFLINE_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def visit(browser: Browser, origin: str, headers: dict[str, str]) -> Visit:
    """A page whose requests to anywhere but `origin` are refused and noted, as are console errors
    (a Content-Security-Policy violation is one) and uncaught script errors."""
    context = browser.new_context(extra_http_headers=headers)
    page = context.new_page()
    seen = Visit(page)

    def only_the_service(route: Route, request: Request) -> None:
        if request.url.startswith(origin + "/"):
            route.continue_()
        else:
            seen.foreign.append(request.url)
            route.abort()

    page.route("**/*", only_the_service)
    page.on("console", lambda message: message.type == "error" and seen.problems.append(message.text))
    page.on("pageerror", lambda error: seen.problems.append(str(error)))
    return seen


def operation_count(origin: str, headers: dict[str, str]) -> int:
    document = httpx.get(origin + "/openapi.json", headers=headers).json()
    return sum(len(item) for item in document["paths"].values())


def assert_docs_render(seen: Visit, origin: str, operations: int) -> None:
    response = seen.page.goto(origin + "/docs")
    assert response is not None
    assert response.status == 200
    assert response.headers["content-security-policy"] == DOCS_CSP
    expect(seen.page.locator(".opblock")).to_have_count(operations, timeout=20_000)
    products = seen.page.locator(".opblock-summary-path", has_text="/api/consumer/products").first
    expect(products).to_be_visible()
    seen.page.locator(".opblock-summary", has=products).first.click()
    body = seen.page.locator(".opblock-body").first
    expect(body).to_contain_text('"status": "success"')
    expect(body).to_contain_text("validation_error")
    assert seen.foreign == []
    assert seen.problems == []


def test_the_csp_names_no_other_origin_and_no_inline_script() -> None:
    directives = dict(part.strip().split(" ", 1) for part in DOCS_CSP.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert "http" not in DOCS_CSP
    assert "unsafe" not in DOCS_CSP


def test_docs_render_on_the_service_port_with_the_admin_token(
    clean_database: databases.TestDatabase, browser: Browser
) -> None:
    with serving("uvicorn", clean_database, STOREFRONT_ERP="emulator") as origin:
        refused = visit(browser, origin, {}).page.goto(origin + "/docs")
        assert refused is not None
        assert refused.status == 401
        assert_docs_render(visit(browser, origin, AUTH), origin, operation_count(origin, AUTH))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_docs_render_on_the_operator_port_without_a_token(
    clean_database: databases.TestDatabase, browser: Browser
) -> None:
    port = free_port()
    with serving(
        "uvicorn", clean_database, STOREFRONT_ERP="emulator", STOREFRONT_OPERATOR_PORT=str(port)
    ) as base:
        assert httpx.get(base + "/docs", headers=AUTH).status_code == 404
        operator = f"http://127.0.0.1:{port}"
        assert_docs_render(visit(browser, operator, {}), operator, operation_count(operator, {}))
