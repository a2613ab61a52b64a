"""The Dagster UI in a real headless browser: the asset graph with its four phase groups, each
group's assets in the catalog, and review_profile's plots rendered from its latest materialization.

Screenshots land in $SENTIMENT_TEST_ARTIFACTS/ui (default test-artifacts/ui) for CI to keep.
"""

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest
from dagster_ui import CHROMIUM_INSTALL, REPO_ROOT, Webserver, chromium_binary

from resources.environment import Profile
from resources.profiles import resources_for
from sentiment_assets.definitions import ALL_ASSETS, defs
from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION, register_partitions

try:
    from playwright.sync_api import ViewportSize, expect, sync_playwright
except ImportError as error:  # an install problem, reported by the fixture as a failure
    PLAYWRIGHT_MISSING: str | None = str(error)
else:
    PLAYWRIGHT_MISSING = None

ARTIFACTS = Path(os.environ.get("SENTIMENT_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts")) / "ui"
LOCATION = "sentiment_assets"
# Only what review_profile needs: raw_reviews, the dbt models under cleaned_reviews, review_profile.
REVIEW_PROFILE_SLICE = dg.AssetSelection.assets("review_profile").upstream()
RUN_CONFIG = {"ops": {"raw_reviews": {"config": {"synthetic_rows": 1500}}}}
PLOTS = {
    "plot_words_per_review": "Words per review",
    "plot_sentiment_by_category": "Reviews per category and sentiment",
    "plot_star_ratings": "Star ratings",
}
# The UI's first-visit "Join the Dagster community" dialog, marked as already seen.
SKIP_COMMUNITY_DIALOG = "window.localStorage.setItem('communityNux', JSON.stringify('1'))"
WINDOW: "ViewportSize" = {"width": 1440, "height": 900}
TALL_WINDOW: "ViewportSize" = {"width": 1440, "height": 1600}
# The first page waits for the code location to load; later ones are quick.
LOAD_TIMEOUT_MS = 90_000


def groups_in_definitions() -> dict[str, set[str]]:
    graph = defs.resolve_asset_graph()
    groups: dict[str, set[str]] = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, set()).add(key.to_user_string())
    return groups


def screenshot(page, name: str) -> None:
    """The page with CSS transitions finished: mid fade-in, a dialog shows half transparent."""
    page.wait_for_load_state("networkidle")
    page.screenshot(path=ARTIFACTS / name, animations="disabled")


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    """A browser page on a dagster-webserver whose instance holds one review_profile run."""
    chromium = chromium_binary()
    if chromium is None:
        pytest.skip(
            "no Chromium binary on PATH (chromium, chromium-browser) or at CHROMIUM_PATH; "
            f"install it with `{CHROMIUM_INSTALL}`"
        )
    if PLAYWRIGHT_MISSING is not None:
        pytest.fail("Playwright for Python is missing: `pip install -c constraints.txt -e '.[dev]'`", pytrace=False)
    root = tmp_path_factory.mktemp("ui")
    home, dagster_home = root / "sentiment_home", root / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The webserver loads the code location while the slice materializes into the same instance.
    server = Webserver(
        {**os.environ, "SENTIMENT_HOME": str(home), "DAGSTER_HOME": str(dagster_home)}, ARTIFACTS / "webserver.log"
    )
    try:
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            register_partitions(instance, [BUNDLED_PARTITION])
            result = dg.materialize(
                ALL_ASSETS,
                selection=REVIEW_PROFILE_SLICE,
                resources=resources_for(Profile.LOCAL, home=home),
                run_config=RUN_CONFIG,
                instance=instance,
                partition_key=BUNDLED_PARTITION,
            )
        assert result.success
        server.wait_until_serving()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True, args=["--disable-dev-shm-usage"]
            )
            context = browser.new_context(base_url=server.url, viewport=WINDOW)
            context.add_init_script(SKIP_COMMUNITY_DIALOG)
            context.set_default_timeout(LOAD_TIMEOUT_MS)
            try:
                yield context.new_page()
            finally:
                browser.close()
    finally:
        server.stop()


def test_the_asset_graph_shows_the_four_phase_groups(ui):
    ui.goto("/asset-groups")
    graph = ui.locator("svg foreignObject")
    for group in ["ingest_analyze", "prepare_transform", "train_tune", "deploy_manage"]:
        expect(graph.get_by_text(group, exact=True).first).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    # A group box reads "8 assets (fetching statuses)" until its materialization counts arrive.
    expect(graph.get_by_text("fetching statuses")).to_have_count(0, timeout=LOAD_TIMEOUT_MS)
    screenshot(ui, "asset_graph.png")


def test_each_group_in_the_catalog_lists_exactly_the_assets_of_the_definitions(ui):
    groups = groups_in_definitions()
    assert set(groups) == {"ingest_analyze", "prepare_transform", "train_tune", "deploy_manage"}
    # The list is virtualized: a tall window draws every row of the largest group (8 assets).
    ui.set_viewport_size(TALL_WINDOW)
    try:
        for group, assets in groups.items():
            ui.goto(f"/locations/{LOCATION}/asset-groups/{group}/list")
            links = ui.locator("a[href^='/assets/']")
            expect(links).to_have_count(len(assets), timeout=LOAD_TIMEOUT_MS)
            shown = {
                href.removeprefix("/assets/")
                for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
            }
            assert shown == assets, group
    finally:
        ui.set_viewport_size(WINDOW)


def test_a_group_page_draws_its_assets_with_the_latest_materialization(ui):
    ui.goto(f"/locations/{LOCATION}/asset-groups/ingest_analyze")
    graph = ui.locator("svg foreignObject")
    for asset in ["raw_reviews", "review_profile", "bias_report"]:
        expect(graph.get_by_text(asset, exact=True).first).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    # review_profile was materialized by the fixture; bias_report was not.
    review_profile_node = graph.filter(has=ui.get_by_text("review_profile", exact=True)).first
    expect(review_profile_node).to_contain_text("Materialized", timeout=LOAD_TIMEOUT_MS)
    expect(review_profile_node).not_to_contain_text("Never materialized")
    bias_report_node = graph.filter(has=ui.get_by_text("bias_report", exact=True)).first
    expect(bias_report_node).to_contain_text("Never materialized")
    screenshot(ui, "group_ingest_analyze.png")


def test_review_profile_renders_its_three_plots_as_png_images(ui):
    ui.goto("/assets/review_profile")
    expect(ui.get_by_text("Latest materialization")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    expect(ui.locator("tr").filter(has=ui.get_by_text("words_limit", exact=True))).to_contain_text("128")
    screenshot(ui, "review_profile.png")
    for key, title in PLOTS.items():
        row = ui.locator("tr").filter(has=ui.get_by_text(key, exact=True))
        row.get_by_text("[Show Markdown]").click()
        dialog = ui.get_by_role("dialog")
        expect(dialog).to_contain_text(key)
        image = dialog.locator("img[src^='data:image/png;base64,']")
        expect(image).to_have_count(1)
        expect(image).to_have_attribute("alt", title)
        # Decoded by the browser, not just present in the DOM: a broken PNG has no natural size.
        width, height = image.evaluate("img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])")
        assert width > 300 and height > 150, (key, width, height)
        screenshot(ui, f"review_profile_{key}.png")
        dialog.get_by_role("button", name="Close").click()
        expect(dialog).to_have_count(0)
