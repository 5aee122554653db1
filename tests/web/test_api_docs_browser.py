"""/api/docs in Chromium: Swagger UI renders every operation of the document under the app's
own CSP (no inline script or style allowed), and « Try it out » reaches the API."""

from __future__ import annotations

import os

import pytest

from tests.conftest import CHROMIUM
from tests.web.test_api_contract import live_server  # noqa: F401  (fixture)
from wiki.views.api.spec import build_document, operations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason="Debian's Chromium is missing (make test installs it)"),
]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_swagger_ui_renders_without_a_console_error(app, page, live_server):  # noqa: F811
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the page does not depend on the database: once, on SQLite")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_server}/api/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() == len(operations(build_document()))
    # One operation of each kind of answer (a list, a 409 shape, a write with a body): each
    # expansion renders schemas and highlighted examples, where an inline style would show.
    for operation_id in ("listDefinitions", "saveRevision", "mergeRemix", "getRevision"):
        page.locator(f"[id$='-{operation_id}'] .opblock-summary-control").click()
    page.locator("#operations-revisions-getRevision button.try-out__btn").click()
    page.locator("#operations-revisions-getRevision button.execute").click()
    status = page.locator("#operations-revisions-getRevision .live-responses-table "
                          "tbody .response-col_status").first
    status.wait_for(timeout=10_000)
    assert status.inner_text().strip() == "200"
    page.get_by_text("Schemas").click()
    page.wait_for_timeout(300)
    assert not problems, problems
