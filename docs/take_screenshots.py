"""Screenshots for the docs (README.md, docs/pipeline.md) from the state the demo left behind (run
by hand, not by the tests).

    make demo                                   # once: materializes everything into .sentiment/
    .venv/bin/python docs/take_screenshots.py

Starts `dagster-webserver` and `mlflow ui` on free loopback ports, both reading the demo's state
($SENTIMENT_HOME, default .sentiment/; nothing is launched there, and the empty .nux/ folder the
webserver adds to DAGSTER_HOME is removed again), drives Debian's headless Chromium with Playwright
(CHROMIUM_PATH picks another binary; `playwright install` is never needed) and writes into
docs/screenshots/:

    bias_report.png               bias_report's page with its CI/DPL plot open
    leaderboard.png               candidate_models' page with the leaderboard open
    finetuned_minilm_checks.png   finetuned_minilm's checks tab: the four Debugger rules
    mlflow_run.png                MLflow: the candidate_models run expanded to its nested candidate
                                  runs, with their validation metrics

Each PNG is reduced to 256 colours (a palette PNG) to keep it small. Both servers run in their own
process groups and are stopped at the end; their logs go to a temporary folder, printed on failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

from PIL import Image
from playwright.sync_api import ViewportSize, expect, sync_playwright
from screenshot_servers import Server, free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUT = REPO_ROOT / "docs" / "screenshots"
SENTIMENT_HOME = Path(os.environ.get("SENTIMENT_HOME", REPO_ROOT / ".sentiment")).resolve()
DAGSTER_HOME = SENTIMENT_HOME / "dagster_home"
MLFLOW_DB = SENTIMENT_HOME / "mlflow" / "mlflow.db"
EXPERIMENT = "sentiment-assets"
# finetuned_minilm's asset checks (sentiment_assets/models/debugger_rules.py, not imported: it loads torch).
DEBUGGER_RULES = ("loss_not_decreasing", "overfitting", "vanishing_gradients", "exploding_gradients")
BIN = Path(sys.executable).parent

# The candidates' columns in the MLflow runs table.
MLFLOW_METRICS = ("val_macro_f1", "val_accuracy", "train_seconds")

WINDOW: ViewportSize = {"width": 1440, "height": 900}
TALL_WINDOW: ViewportSize = {"width": 1440, "height": 1100}
# The UI's first-visit "Join the Dagster community" dialog, marked as already seen.
SKIP_COMMUNITY_DIALOG = "window.localStorage.setItem('communityNux', JSON.stringify('1'))"
LOAD_TIMEOUT_MS = 120_000  # the first Dagster page waits for the code location to load
MAX_BYTES = 300_000


def save(page, name: str, idle: bool = True) -> None:
    """The page once its requests are done (`idle`), with CSS transitions finished (a dialog mid
    fade-in is half transparent), reduced to a 256-colour palette PNG."""
    if idle:
        page.wait_for_load_state("networkidle")
    path = OUTPUT / name
    page.screenshot(path=path, animations="disabled")
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    size = path.stat().st_size
    print(f"{path.relative_to(REPO_ROOT)}: {size // 1024} KB")
    if size > MAX_BYTES:
        print(f"  warning: over {MAX_BYTES // 1000} KB", file=sys.stderr)


def open_markdown(page, key: str):
    """The dialog of a markdown metadata entry, opened from its row in the metadata table."""
    row = page.locator("tr").filter(has=page.get_by_text(key, exact=True))
    row.get_by_text("[Show Markdown]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(key)
    return dialog


def wait_for_images(locator) -> None:
    """Until every inline image in `locator` is decoded (drawn, not just in the DOM)."""
    locator.locator("img").evaluate_all("imgs => Promise.all(imgs.map(img => img.decode()))")


def dagster_screenshots(page) -> None:
    page.goto("/assets/bias_report")
    expect(page.get_by_text("Latest materialization")).to_be_visible()
    # The plot is 1100 x 780 pixels: a taller window shows it whole.
    page.set_viewport_size(TALL_WINDOW)
    dialog = open_markdown(page, "plot_ci_dpl")
    wait_for_images(dialog)
    save(page, "bias_report.png")
    dialog.get_by_role("button", name="Close").click()
    page.set_viewport_size(WINDOW)

    page.goto("/assets/candidate_models")
    expect(page.get_by_text("Latest materialization")).to_be_visible()
    dialog = open_markdown(page, "leaderboard")
    expect(dialog.locator("table")).to_be_visible()
    # The dialog is narrower than the leaderboard's ten columns: as wide as its table instead.
    dialog.evaluate("d => { d.style.width = 'fit-content'; d.style.maxWidth = '96vw'; }")
    save(page, "leaderboard.png")
    dialog.get_by_role("button", name="Close").click()

    page.goto("/assets/finetuned_minilm?view=checks")
    for check in DEBUGGER_RULES:
        expect(page.get_by_text(check, exact=True).first).to_be_visible()
    save(page, "finetuned_minilm_checks.png")


def latest_run(mlflow: Server, run_name: str) -> tuple[str, str]:
    """(experiment id, run id) of the newest top-level run called `run_name` in EXPERIMENT."""

    def call(path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{mlflow.url}/api/2.0/mlflow/{path}",
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    experiment = call(f"experiments/get-by-name?experiment_name={EXPERIMENT}")["experiment"]["experiment_id"]
    runs = call(
        "runs/search",
        {
            "experiment_ids": [experiment],
            "max_results": 1,
            "order_by": ["attributes.start_time DESC"],
            "filter": f"attributes.run_name = '{run_name}'",
        },
    )["runs"]
    if not runs:
        raise LookupError(f"no MLflow run {run_name!r} in {EXPERIMENT!r}: run `make demo` first")
    return experiment, runs[0]["info"]["run_id"]


def widen_column(page, header, pixels: int) -> None:
    """Drags the right edge of a runs-table column. The grab point is inside the column: the
    resize handle's other half lies under the next header, where a click would sort instead."""
    box = header.locator(".ag-header-cell-resize").bounding_box()
    x, y = box["x"] + 2, box["y"] + box["height"] / 2
    width = header.bounding_box()["width"]
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + pixels, y, steps=10)
    page.mouse.up()
    page.wait_for_function(
        "([header, width]) => header.getBoundingClientRect().width > width", arg=[header.element_handle(), width]
    )


def mlflow_screenshots(page, mlflow: Server) -> None:
    """The runs table of EXPERIMENT, the newest candidate_models run expanded to its candidates,
    with their validation scores as columns. (MLflow's UI keeps polling: no `networkidle` here.)"""
    experiment, run_id = latest_run(mlflow, "candidate_models")
    page.goto(f"{mlflow.url}/#/experiments/{experiment}/runs")
    parent = page.locator(f"a[href$='/runs/{run_id}']")
    expect(parent).to_be_visible()
    page.get_by_role("button", name="Close").first.click()  # the "MLflow Assistant" side panel
    page.get_by_role("button", name="Model training", exact=True).click()  # the runs view, not GenAI's
    expect(parent).to_be_visible()

    page.get_by_role("button", name="Columns").click()
    columns = page.get_by_role("dialog")

    def checkbox(column: str):
        node = columns.locator(".du-bois-light-tree-treenode").filter(has_text=re.compile(f"^{re.escape(column)}$"))
        return node.locator(".du-bois-light-tree-checkbox")

    for attribute in ("Dataset", "Source"):  # checked by default, empty or the same for every run
        checkbox(attribute).click()
    search = columns.get_by_placeholder("Search columns")
    for metric in MLFLOW_METRICS:
        search.fill(metric)
        checkbox(metric).click()
    page.keyboard.press("Escape")
    expect(columns).to_have_count(0)
    for metric in MLFLOW_METRICS:
        expect(page.locator(".ag-header-cell").filter(has_text=metric).first).to_be_visible()

    # Wide enough for "candidate-minilm_embeddings_linear".
    widen_column(page, page.locator(".ag-header-cell[col-id='attributes.`Run Name`']"), 130)
    page.locator(".ag-row").filter(has=parent).locator("button[data-component-id*='runnamecellrenderer']").click()
    expect(page.get_by_text("candidate-minilm_embeddings_linear", exact=True)).to_be_visible()
    page.evaluate("document.activeElement?.blur()")  # no focus outline around the clicked cell
    page.mouse.move(0, 0)  # no hover highlight
    page.wait_for_timeout(1000)
    save(page, "mlflow_run.png", idle=False)


def main() -> int:
    if not (DAGSTER_HOME / "dagster.yaml").is_file() or not MLFLOW_DB.is_file():
        print(f"no demo state under {SENTIMENT_HOME}: run `make demo` first", file=sys.stderr)
        return 1
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("no Chromium: apt-get install -y --no-install-recommends chromium", file=sys.stderr)
        return 1
    OUTPUT.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=LOAD_TIMEOUT_MS)
    env = {
        **os.environ,
        "SENTIMENT_HOME": str(SENTIMENT_HOME),
        "DAGSTER_HOME": str(DAGSTER_HOME),
        "DAGSTER_DISABLE_TELEMETRY": "true",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
    }
    scratch = Path(tempfile.mkdtemp(prefix="screenshots-"))
    nux = DAGSTER_HOME / ".nux"  # where the webserver notes "first visit seen"; it creates it empty
    had_nux = nux.exists()
    servers: list[Server] = []
    try:
        dagster_port, mlflow_port = free_port(), free_port()
        servers.append(
            Server(
                "dagster-webserver",
                [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(dagster_port), "-w", "workspace.yaml"],
                "/server_info",
                dagster_port,
                env,
                REPO_ROOT,
                scratch,
            )
        )
        # From a scratch folder: `mlflow ui` may create ./mlartifacts where it starts.
        servers.append(
            Server(
                "mlflow",
                [
                    str(BIN / "mlflow"),
                    "ui",
                    "--backend-store-uri",
                    f"sqlite:///{MLFLOW_DB}",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(mlflow_port),
                ],
                "/health",
                mlflow_port,
                env,
                scratch,
                scratch,
            )
        )
        dagster, mlflow = servers
        for server in servers:
            server.wait_until_serving()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True, args=["--disable-dev-shm-usage"]
            )
            try:
                context = browser.new_context(base_url=dagster.url, viewport=WINDOW)
                context.add_init_script(SKIP_COMMUNITY_DIALOG)
                context.set_default_timeout(LOAD_TIMEOUT_MS)
                page = context.new_page()
                dagster_screenshots(page)
                mlflow_screenshots(page, mlflow)
            finally:
                browser.close()
    except Exception:
        print(f"server logs: {scratch}", file=sys.stderr)
        raise
    finally:
        for server in servers:
            server.stop()
        if not had_nux:
            with contextlib.suppress(OSError):  # absent, or no longer empty
                nux.rmdir()
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
