"""End to end in a real browser: JupyterLab on loopback, a notebook with a %%lambda cell and its console,
driven by Playwright in a Chromium launched by path (LAMBDANB_CHROMIUM, else Debian's; nothing is downloaded)."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

# A Chromium or Chrome to launch: LAMBDANB_CHROMIUM (CI on Ubuntu, which has no chromium package), else Debian's.
CHROMIUM = os.environ.get("LAMBDANB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
CELLS = [
    "%load_ext lambdanb",
    '%%lambda myLambdaFunction\nimport json\n\ndef lambda_handler(event, context):\n'
    '    print("Hello from the console test")\n'
    '    return {"statusCode": 200, "body": "Hello from AWS Lambda"}',
    'console = lambdanb.console("myLambdaFunction")\nconsole',
]

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"no browser at {CHROMIUM}: install Debian's chromium (./dev test does, as root) or set LAMBDANB_CHROMIUM")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(notebook, root / "console.ipynb")
    port, token = free_port(), uuid.uuid4().hex
    command = [sys.executable, "-m", "jupyter", "server", "--no-browser", f"--ServerApp.port={port}",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
               "--LabApp.news_url=", "--ServerApp.disable_check_xsrf=True"]
    if os.getuid() == 0:
        command.append("--allow-root")
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "JUPYTER_CONFIG_DIR": str(root / ".config")})
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield base, token
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()


def wait_for_kernel(base: str, token: str) -> None:
    """Wait until a kernel is up with the page connected to it. JupyterLab shows its execution indicator as idle
    before it has a kernel at all, and a Run All clicked then is lost."""
    for _ in range(1200):
        try:
            with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=5) as response:
                kernels = json.load(response)
        except OSError:  # the server answers 500 while a kernel is being started: ask again
            kernels = []
        if any(kernel["connections"] and kernel["execution_state"] == "idle" for kernel in kernels):
            return
        time.sleep(0.1)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        yield page
        browser.close()


@pytest.mark.parametrize("ui, path", [("jupyterlab", "lab/tree"), ("notebook7", "notebooks")])
def test_console_test_button(jupyter, page, ui, path):
    """JupyterLab 4 and Notebook 7, plain ipywidgets 8: run the cells, click Test, see the result and logs."""
    base, token = jupyter
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{base}/{path}/console.ipynb?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    wait_for_kernel(base, token)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    page.click("text=Run", timeout=30_000)  # the Run menu
    page.click("text=Run All Cells", timeout=30_000)
    test_button = page.locator("button.jupyter-button:has-text('Test')").first
    test_button.wait_for(timeout=120_000)
    no_news = page.locator(".jp-toast-button:has-text('No'), .Toastify button:has-text('No')")
    if no_news.count():
        no_news.first.click(timeout=5_000)  # JupyterLab's question about news, in the way of the screenshots
    page.screenshot(path=str(ARTIFACTS / f"{ui}-console-ready.png"), full_page=True)
    test_button.click()
    page.wait_for_selector("text=Execution result: succeeded", timeout=120_000)
    text = page.inner_text(".jp-Notebook")
    assert "START RequestId:" in text and "REPORT RequestId:" in text
    assert "Hello from the console test" in text
    assert '"body": "Hello from AWS Lambda"' in text
    page.locator("text=Execution result: succeeded").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"{ui}-console-test.png"), full_page=True)
    page.click(".lm-TabBar-tab:has-text('Monitor')")
    page.wait_for_selector(".jp-Notebook svg circle", state="attached", timeout=30_000)  # a live chart point
    page.screenshot(path=str(ARTIFACTS / f"{ui}-console-monitor.png"), full_page=True)
    page.click(".lm-TabBar-tab:has-text('Logs')")
    page.wait_for_selector("text=Hello from the console test", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / f"{ui}-console-logs.png"), full_page=True)
