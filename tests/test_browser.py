"""End to end in a real browser: JupyterLab on loopback, a notebook with a %%lambda cell and its console,
driven by Playwright in a Chromium launched by path (LAMBDANB_CHROMIUM, else Debian's; nothing is downloaded)."""
from __future__ import annotations

import datetime
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

import lambdanb

# A Chromium or Chrome to launch: LAMBDANB_CHROMIUM (CI on Ubuntu, which has no chromium package), else Debian's.
CHROMIUM = os.environ.get("LAMBDANB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
CELLS = [
    "%load_ext lambdanb\nprint('lambdanb from', lambdanb.__file__)",
    '%%lambda myLambdaFunction\nimport json\n\ndef lambda_handler(event, context):\n'
    '    print("Hello from the console test")\n'
    '    for line in range(12):\n'
    '        print("working", line)\n'
    '    return {"statusCode": 200, "body": "Hello from AWS Lambda"}',
    'console = lambdanb.console("myLambdaFunction")\nconsole',
    'logs_view = lambdanb.console("myLambdaFunction")  # a second console of it, kept on its Logs tab\nlogs_view',
    # 20 synchronous calls from threads against reserved concurrency 2, then 20 async events
    "import threading\nimport time\n"
    'lambdanb.create_function("burst", "import time\\ndef lambda_handler(event, context):\\n'
    '    time.sleep(1)\\n    return 1\\n")\n'
    'lambdanb.put_function_concurrency("burst", 2)\n\n'
    "def call():\n    try:\n        lambdanb.invoke('burst')\n    except lambdanb.LambdaNBError:\n        pass\n\n"
    "threads = [threading.Thread(target=call) for _ in range(20)]\n"
    "for thread in threads:\n    thread.start()\nfor thread in threads:\n    thread.join()\n"
    "for n in range(20):\n    lambdanb.invoke('burst', {'n': n}, invocation_type='Event')\n"
    "print('20 sync calls from threads, then 20 async events, sent by', time.strftime('%H:%M:%S'))\n"
    'burst = lambdanb.console("burst")\nburst',
    # a function deleted while its async events wait for a retry (a minute, Lambda's delay)
    'lambdanb.create_function("doomed", "def lambda_handler(event, context):\\n    raise ValueError(\'no\')\\n")\n'
    'doomed = lambdanb.console("doomed")\n'
    "for n in range(3):\n    lambdanb.invoke('doomed', {'n': n}, invocation_type='Event')\n"
    "lambdanb.drain(timeout=3)  # the first attempts fail\n"
    'lambdanb.delete_function("doomed")\ndoomed',
]
CONSOLE_CELL, LOGS_CELL, BURST_CELL, DOOMED_CELL = 2, 3, 4, 5
# The README's pictures: with LAMBDANB_SCREENSHOTS set to a folder (`./dev screenshots` sets images/), JupyterLab's
# are written there too.
SCREENSHOTS = os.environ.get("LAMBDANB_SCREENSHOTS")
PICTURED_AFTER_BURST = 26  # seconds: the 30-second pictures show both bursts and the queue's retries after them

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
    yield base, token, root
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
        page = browser.new_page(viewport={"width": 1280, "height": 1800})  # whole consoles in the pictures
        yield page
        browser.close()


@pytest.mark.parametrize("ui, path", [("jupyterlab", "lab/tree"), ("notebook7", "notebooks")])
def test_console_test_button(jupyter, page, ui, path):
    """JupyterLab 4 and Notebook 7, plain ipywidgets 8: run the cells, click Test, see the result and logs."""
    base, token, root = jupyter
    ARTIFACTS.mkdir(exist_ok=True)
    saved = root / f"console-{ui}.ipynb"  # a notebook (and kernel) of its own for each UI
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(notebook, saved)
    page.goto(f"{base}/{path}/{saved.name}?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    wait_for_kernel(base, token)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    run_all(page)
    test_button = page.locator("button.jupyter-button:has-text('Test')").first
    test_button.wait_for(timeout=120_000)
    no_news = page.locator(".jp-toast-button:has-text('No'), .Toastify button:has-text('No')")
    if no_news.count():
        no_news.first.click(timeout=5_000)  # JupyterLab's question about news, in the way of the screenshots
    page.screenshot(path=str(ARTIFACTS / f"{ui}-console-ready.png"), full_page=True)
    assert f"lambdanb from {lambdanb.__file__}" in page.inner_text(".jp-Notebook")  # the kernel runs this code
    test_button.click()
    page.wait_for_selector("text=Execution result: succeeded", timeout=120_000)
    text = page.inner_text(".jp-Notebook")
    assert "START RequestId:" in text and "REPORT RequestId:" in text
    assert "Hello from the console test" in text
    assert '"body": "Hello from AWS Lambda"' in text
    console = page.locator(".jp-Notebook .jp-Cell").nth(CONSOLE_CELL)
    shoot(console, ui, "test")

    # Logs (in the second console): the newest invocation is in view without scrolling, though the events overflow
    logs_console = page.locator(".jp-Notebook .jp-Cell").nth(LOGS_CELL)
    logs_console.locator(".lm-TabBar-tab:has-text('Logs')").click()
    for _ in range(2):
        test_button.click()
    logs = logs_console.locator(".lambdanb-logs")
    page.wait_for_function("logs => logs.querySelectorAll('details.log-group').length >= 3",
                           arg=logs.element_handle(), timeout=120_000)
    last_group = logs.locator("details.log-group").last
    report, view = last_group.locator("tr").last.bounding_box(), logs.bounding_box()
    assert logs.evaluate("e => e.scrollHeight > e.clientHeight")  # more than fits: the view had to follow
    assert view["y"] <= report["y"] and report["y"] + report["height"] <= view["y"] + view["height"] + 1
    assert last_group.locator(".report-field").count() >= 4  # REPORT as its fields
    logs.evaluate("e => { e.scrollTop = -120; }")  # the reader scrolls up: new events do not pull the view down
    test_button.click()
    page.wait_for_function("logs => logs.querySelectorAll('details.log-group').length >= 4",
                           arg=logs.element_handle(), timeout=120_000)
    assert logs.evaluate("e => e.scrollTop") < -40  # still up there (0 would be the newest events)
    logs.evaluate("e => { e.scrollTop = 0; }")
    # What the reader folds or opens stays so when new events arrive
    groups = logs.locator("details.log-group")
    groups.last.locator(".report-field").first.wait_for(timeout=30_000)  # the newest group is complete
    folded_by_reader, opened_by_reader = groups.last.element_handle(), groups.first.element_handle()
    assert folded_by_reader.evaluate("e => e.open") and not opened_by_reader.evaluate("e => e.open")
    folded_by_reader.evaluate("e => e.querySelector('summary').click()")
    opened_by_reader.evaluate("e => e.querySelector('summary').click()")
    count = groups.count()
    test_button.click()
    page.wait_for_function(f"logs => logs.querySelectorAll('details.log-group').length > {count}",
                           arg=logs.element_handle(), timeout=120_000)
    assert folded_by_reader.evaluate("e => e.isConnected && !e.open")
    assert opened_by_reader.evaluate("e => e.isConnected && e.open")
    assert groups.last.evaluate("e => e.open")  # the newest invocation arrives open
    shoot(logs_console, ui, "logs")

    # Environments after the burst: two lanes (reserved concurrency 2) and 18 calls refused at once
    burst = page.locator(".jp-Notebook .jp-Cell").nth(BURST_CELL)
    burst.locator(".lm-TabBar-tab:has-text('Environments')").click()
    burst.locator(".lambdanb-environments-window button[data-value='5%20min']").click()
    lanes = burst.locator(".lambdanb-timeline g.lane")
    lanes.first.wait_for(timeout=60_000)
    burst.locator("button.jupyter-button:has-text('Live')").first.click()  # Pause: the picture stays still
    burst.locator("button.jupyter-button:has-text('Paused')").first.wait_for(timeout=30_000)
    assert lanes.count() == 2
    refused = burst.locator(".lambdanb-timeline g.throttle.refused")
    # one snapshot of the marks: the live picture is drawn anew every second
    assert sum(refused.evaluate_all("marks => marks.map(mark => Number(mark.getAttribute('data-count')))")) == 18
    assert burst.locator(".lambdanb-timeline g.invoke").count() >= 2
    timeline = burst.locator("svg.lambdanb-timeline").first
    timeline.scroll_into_view_if_needed()  # Notebook 7 renders cells out of view lazily: no box until seen
    output = burst.locator(".jp-OutputArea").first
    assert timeline.bounding_box()["width"] <= output.bounding_box()["width"]  # all in view
    # The picture: a 30-second window around the bursts (the view stays paused; a new window is drawn at once)
    sent = burst.locator(".jp-OutputArea-output:has-text('sent by')").inner_text().rsplit(" ", 1)[-1].strip()
    sent_at = datetime.datetime.combine(datetime.date.today(), datetime.time.fromisoformat(sent)).timestamp()
    time.sleep(min(max(0.0, sent_at + PICTURED_AFTER_BURST - time.time()), PICTURED_AFTER_BURST))  # midnight
    burst.locator(".lambdanb-environments-window button[data-value='30%20s']").click()
    burst.locator(".lambdanb-timeline g.throttle.retried").first.wait_for(timeout=30_000)
    shoot(burst, ui, "environments")
    burst.locator(".lm-TabBar-tab:has-text('Async queue')").click()
    burst.locator(".lambdanb-async-window button[data-value='30%20s']").click()
    burst.locator(".lambdanb-async g.attempt").first.wait_for(timeout=60_000)
    shoot(burst, ui, "async-queue")

    # Monitor: charts with a time axis and a value axis in their unit
    burst.locator(".lm-TabBar-tab:has-text('Monitor')").click()
    charts = burst.locator(".lambdanb-monitor svg.lambdanb-chart")
    charts.first.wait_for(timeout=30_000)
    assert charts.count() == 7
    assert burst.locator(".lambdanb-monitor svg.lambdanb-chart text.axis-time").count() >= 7 * 3
    assert burst.locator(".lambdanb-monitor svg.lambdanb-chart text.axis-value").count() >= 7 * 2
    assert burst.locator(".lambdanb-monitor svg.lambdanb-chart text.axis-unit:has-text('count')").count() >= 4
    shoot(burst, ui, "monitor")
    burst.locator(".lm-TabBar-tab:has-text('Configuration')").click()
    burst.locator("b:has-text('Reserved concurrency')").wait_for(timeout=30_000)
    assert burst.locator("tr:has(h4:has-text('Code')) ~ tr code:has-text('CodeSha256')").count() == 1  # the package
    shoot(burst, ui, "configuration")

    # A deleted function's console stops and says so; the events it dropped end with their mark
    doomed = page.locator(".jp-Notebook .jp-Cell").nth(DOOMED_CELL)
    doomed.scroll_into_view_if_needed()
    doomed.locator("text=this console stopped").wait_for(timeout=60_000)
    doomed.locator(".lm-TabBar-tab:has-text('Async queue')").click()
    ends = doomed.locator(".lambdanb-async text.ended")
    ends.first.wait_for(timeout=30_000)
    assert ends.count() == 3
    assert all("failed (FunctionDeleted), dropped" in text for text in ends.all_text_contents())

    # The Test tab refuses invalid JSON in one sentence, and the last result goes with it
    console.locator(".lm-TabBar-tab:has-text('Test')").click()
    console.locator("textarea").first.fill('{"key1": }')
    test_button.click()
    console.locator("text=The event is not valid JSON").wait_for(timeout=30_000)
    assert "Execution result" not in console.inner_text()
    console.locator(".jp-OutputArea").screenshot(path=str(ARTIFACTS / f"{ui}-console-test-refused.png"))

    # Saved and rendered without a kernel (as nbviewer does): pictures, not widget reprs
    page.keyboard.press("Control+s")
    for _ in range(300):
        notebook = nbformat.read(saved, as_version=4)
        if notebook.cells[BURST_CELL].get("outputs"):
            break
        time.sleep(0.1)
    html = root / f"console-{ui}.html"
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(saved), "--output",
                    html.name], check=True, capture_output=True, cwd=root)
    page.goto(html.as_uri(), wait_until="domcontentloaded")  # scripts from the web may not load here
    rendered = page.inner_text("body")
    assert "VBox(" not in rendered and "Tab(children" not in rendered
    assert page.locator(".lambdanb-console-snapshot").count() == 4
    saved_picture = page.locator(".lambdanb-console-snapshot").nth(2)  # the burst's
    assert saved_picture.locator("svg.lambdanb-timeline g.lane").count() == 2
    saved_picture.screenshot(path=str(ARTIFACTS / f"{ui}-saved-notebook.png"))
    if SCREENSHOTS and ui == "jupyterlab":
        saved_picture.screenshot(path=str(Path(SCREENSHOTS) / "console-saved-notebook.png"))


def run_all(page) -> None:
    """Run every cell. JupyterLab may drop the first request (or ask for a kernel) while it still connects the
    notebook's kernel: then ask again, a few times."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    for _ in range(3):
        page.click("text=Run", timeout=30_000)  # the Run menu
        page.click("text=Run All Cells", timeout=30_000)
        try:
            page.wait_for_selector(".jp-OutputArea-output:has-text('lambdanb from')", timeout=60_000)
            return
        except PlaywrightTimeout:
            kernel_dialog = page.locator(".jp-Dialog button.jp-mod-accept")
            if kernel_dialog.count():
                kernel_dialog.first.click()
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    raise AssertionError("the notebook's cells never ran")


def shoot(cell, ui: str, tab: str) -> None:
    """A picture of one console's output, under tests/artifacts, and JupyterLab's in LAMBDANB_SCREENSHOTS."""
    cell.scroll_into_view_if_needed()
    output = cell.locator(".jp-OutputArea")
    output.screenshot(path=str(ARTIFACTS / f"{ui}-console-{tab}.png"))
    if SCREENSHOTS and ui == "jupyterlab":
        output.screenshot(path=str(Path(SCREENSHOTS) / f"console-{tab}.png"))
