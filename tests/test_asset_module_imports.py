"""No asset module under sentiment_assets/defs imports another asset module: what one asset hands
to the next goes through a typed record in the artifact store (test_asset_handoffs.py), and
helpers the assets share live in modules that define no asset."""

import ast
from pathlib import Path

import sentiment_assets

DEFS = Path(sentiment_assets.__file__).parent / "defs"
# Decorators that make a module an asset module (dg.asset, dagster_dbt's dbt_assets, ...).
ASSET_DECORATORS = {
    "asset",
    "multi_asset",
    "graph_asset",
    "graph_multi_asset",
    "observable_source_asset",
    "asset_check",
    "multi_asset_check",
    "dbt_assets",
}


def module_name(path: Path, package_dir: Path, package: str) -> str:
    parts = path.relative_to(package_dir).with_suffix("").parts
    return ".".join((package, *(parts[:-1] if parts[-1] == "__init__" else parts)))


def defines_assets(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        for decorator in getattr(node, "decorator_list", []):
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
            if name in ASSET_DECORATORS:
                return True
    return False


def imported_modules(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    """Every module an import in `tree` may name: `from a.b import c` names a.b and a.b.c."""
    names = set()
    for node in ast.walk(tree):  # imports inside functions count too
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def asset_module_imports(package_dir: Path, package: str) -> tuple[set[str], list[str]]:
    """The asset modules under `package_dir` and every import of one asset module by another."""
    trees = {
        module_name(path, package_dir, package): (ast.parse(path.read_text()), path.name == "__init__.py")
        for path in sorted(package_dir.rglob("*.py"))
    }
    asset_modules = {name for name, (tree, _) in trees.items() if defines_assets(tree)}
    violations = []
    for name in sorted(asset_modules):
        tree, is_package = trees[name]
        imported = imported_modules(tree, name, is_package)
        violations += [f"{name} imports {other}" for other in sorted(imported & asset_modules - {name})]
    return asset_modules, violations


def test_no_asset_module_imports_another_asset_module():
    asset_modules, violations = asset_module_imports(DEFS, "sentiment_assets.defs")
    assert violations == [], "hand data over through a record in the artifact store instead"
    # The scan sees the modules it guards (an empty set would pass anything).
    assert {
        "sentiment_assets.defs.train_tune.finetuned_minilm",
        "sentiment_assets.defs.train_tune.candidate_models",
        "sentiment_assets.defs.train_tune.tuned_model",
        "sentiment_assets.defs.deploy_manage.model_evaluation",
        "sentiment_assets.defs.deploy_manage.registered_model",
        "sentiment_assets.defs.deploy_manage.drift_baseline",
        "sentiment_assets.defs.deploy_manage.batch_predictions",
        "sentiment_assets.defs.prepare_transform.dbt_models",
    } <= asset_modules
    assert "sentiment_assets.defs.feature_reads" not in asset_modules


def test_the_scan_catches_every_way_of_importing_an_asset_module_and_allows_helpers(tmp_path):
    defs = tmp_path / "defs"
    (defs / "group").mkdir(parents=True)
    asset = "import dagster as dg\n\n@dg.asset\ndef {0}():\n    return 1\n"
    files = {
        "__init__.py": "",
        "helpers.py": "WHERE = 'models/x.json'\n",
        "group/__init__.py": "",
        "group/upstream.py": asset.format("upstream"),
        "group/absolute.py": "from pkg.defs.group.upstream import upstream\nfrom pkg.defs.helpers import WHERE\n"
        + asset.format("absolute"),
        "group/relative.py": "from .upstream import upstream\n" + asset.format("relative"),
        "group/as_module.py": "from pkg.defs.group import upstream\n" + asset.format("as_module"),
        "group/inside.py": "import dagster as dg\n\n@dg.asset_check(asset='upstream')\ndef inside():\n"
        "    import pkg.defs.group.upstream\n    return pkg.defs.group.upstream\n",
        "group/helper_only.py": "from pkg.defs.helpers import WHERE\n" + asset.format("helper_only"),
    }
    for relative, text in files.items():
        (defs / relative).write_text(text)
    asset_modules, violations = asset_module_imports(defs, "pkg.defs")
    assert "pkg.defs.helpers" not in asset_modules
    assert violations == [
        f"pkg.defs.group.{name} imports pkg.defs.group.upstream"
        for name in ("absolute", "as_module", "inside", "relative")
    ]
