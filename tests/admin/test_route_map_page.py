"""The route map page (`GET /admin/map`) in a real browser: headless Chromium from the distribution's
packages, driven by Selenium, against the shipped example served by `gatepost serve` with its admin port on.
The page shows every route of the example; after requests and a reload, the routes' counts have moved."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import yaml

from support import REPO, free_port, serve_process, wait_http

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                                reason="chromium and chromium-driver are not installed (scripts/setup.sh test)")
TOKEN = "map-token-0123456789abcdef"


@contextmanager
def example_with_admin(tmp_path: Path) -> Iterator[tuple[str, str, list[str]]]:
    """The shipped example on free ports, its admin port on; yields (gateway URL, admin URL, route keys)."""
    example = tmp_path / "payments"
    shutil.copytree(REPO / "examples/payments", example, ignore=shutil.ignore_patterns(".gatepost", "__pycache__"))
    upstream_port, issuer_port, admin_port = free_port(), free_port(), free_port()
    cfg = example / "gatepost.yaml"
    text = cfg.read_text().replace("9000", str(upstream_port)).replace("9100", str(issuer_port))
    cfg.write_text(text + f"\nadmin: {{enabled: true, port: {admin_port}, token_env: MAP_TEST_ADMIN_TOKEN}}\n")
    routes = [r["route"] for r in yaml.safe_load(text)["apis"]["payments"]["routes"]]
    with (tmp_path / "serve.log").open("wb") as log, \
            serve_process(cfg, env={"MAP_TEST_ADMIN_TOKEN": TOKEN}, stdout=log) as (_, port):
        wait_http(f"http://127.0.0.1:{port}/_gatepost/ready", timeout=60)
        wait_http(f"http://127.0.0.1:{admin_port}/healthz", timeout=20)
        yield f"http://127.0.0.1:{port}", f"127.0.0.1:{admin_port}", routes


@contextmanager
def chromium() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def outcome_count(driver: object, route: str, outcome: str) -> int:
    from selenium.webdriver.common.by import By

    cell = driver.find_element(  # type: ignore[attr-defined]
        By.CSS_SELECTOR, f'tr.route[data-route="{route}"] span[data-outcome="{outcome}"]')
    label, count = cell.text.split()
    assert label == outcome
    return int(count)


@pytest.mark.timeout(300)  # the example's start and a browser's, on a loaded machine
def test_the_page_shows_every_route_of_the_example_and_counts_move(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    with example_with_admin(tmp_path) as (gateway, admin, routes), chromium() as driver:
        # no credentials: the browser is asked for them (Basic; the admin token is the password)
        asked = requests.get(f"http://{admin}/admin/map", timeout=10)
        assert asked.status_code == 401 and asked.headers["www-authenticate"].startswith("Basic ")
        assert requests.get(f"http://{admin}/admin/map", auth=("ops", "wrong"), timeout=10).status_code == 401
        page = f"http://ops:{TOKEN}@{admin}/admin/map?refresh=0"
        driver.get(page)  # type: ignore[attr-defined]
        assert driver.title == "Gatepost route map"  # type: ignore[attr-defined]
        shown = {row.get_attribute("data-route") for row in driver.find_elements(By.CSS_SELECTOR, "tr.route")}  # type: ignore[attr-defined]
        assert shown - {"-"} == set(routes)
        text = driver.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
        for route in routes:
            assert route.split(" ", 1)[1] in text
        assert "PUBLIC" in text and "route.public" in text  # explain's answer and audit's finding for /health
        before = {r: {o: outcome_count(driver, r, o) for o in ("allowed", "refused")}
                  for r in ("GET /health", "GET /me")}

        for _ in range(3):
            assert requests.get(gateway + "/health", timeout=10).status_code == 200
        for _ in range(2):
            assert requests.get(gateway + "/me", timeout=10).status_code == 401

        driver.refresh()  # type: ignore[attr-defined]
        assert outcome_count(driver, "GET /health", "allowed") == before["GET /health"]["allowed"] + 3
        assert outcome_count(driver, "GET /me", "refused") == before["GET /me"]["refused"] + 2
        assert outcome_count(driver, "GET /me", "allowed") == before["GET /me"]["allowed"]

        # the auto-refresh script runs under the page's Content-Security-Policy (allowed by its hash)
        driver.get(f"http://ops:{TOKEN}@{admin}/admin/map?refresh=1")  # type: ignore[attr-defined]
        driver.execute_script("window.loadedBefore = true")  # type: ignore[attr-defined]
        deadline = time.monotonic() + 20
        while driver.execute_script("return window.loadedBefore === true"):  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, "the page did not refresh itself"
            time.sleep(0.2)
