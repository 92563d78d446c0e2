"""Headless Chromium driving a real MLflow server (loopback_cluster.mlflow_server), for the tests that look at the UI as a user
does."""

import contextlib
import os
import shutil
from pathlib import Path

import pytest

# Where a test's screenshots are copied when set (README's come from there); they are always in the test's tmp_path.
SCREENSHOTS_ENV = "SWEEPS_SCREENSHOTS"


def browser_or_skip() -> tuple[str, str]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        chromium = None
    if not (chromium and driver):
        if os.environ.get("SWEEPS_REQUIRE_BROWSER"):
            pytest.fail("SWEEPS_REQUIRE_BROWSER is set but chromium, chromedriver or selenium is missing")
        pytest.skip("needs Debian's chromium and chromium-driver, and selenium")
    return chromium, driver


@contextlib.contextmanager
def chromium_browser(size: str = "1500,950"):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = browser_or_skip()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={size}",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def page_text(browser) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.TAG_NAME, "body").text


def screenshot(browser, folder: Path, name: str) -> Path:
    path = folder / name
    browser.save_screenshot(str(path))
    if os.environ.get(SCREENSHOTS_ENV):
        shutil.copy(path, Path(os.environ[SCREENSHOTS_ENV]) / name)
    return path
