"""The layout the README draws, checked from the source: imports run sweeps -> trainables -> search_spaces with no
loop between files, shared names are written once, no private attribute of a dependency, no test seam in the product."""

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("sweeps", "trainables", "search_spaces")
ALLOWED = {("sweeps", "trainables"), ("sweeps", "search_spaces"), ("trainables", "search_spaces")}
NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make"}  # public, underscored so they can't clash with field names


def product_files() -> dict[str, ast.Module]:
    """module name -> its syntax tree, for every file of the three packages."""
    trees = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            trees[module] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return trees


def imported_modules(module: str, tree: ast.Module, known: set[str]) -> set[str]:
    """Our modules that `module` imports anywhere in its file (lazy imports inside functions too)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import module` names a module; `from module import name` names the module itself
            names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in known and name != module)
    return found


def import_graph() -> dict[str, set[str]]:
    trees = product_files()
    return {module: imported_modules(module, tree, set(trees)) for module, tree in trees.items()}


def test_the_static_import_graph_runs_one_way_between_the_packages():
    edges = defaultdict(set)
    for module, imports in import_graph().items():
        for target in imports:
            source_package, target_package = module.split(".")[0], target.split(".")[0]
            if source_package != target_package:
                edges[(source_package, target_package)].add(f"{module} -> {target}")
    assert set(edges) <= ALLOWED, {edge: sorted(files) for edge, files in edges.items() if edge not in ALLOWED}
    assert ("sweeps", "trainables") in edges and ("trainables", "search_spaces") in edges  # the graph really was read


def test_no_import_loop_between_files():
    graph = {module: {target for target in imports if not graph_is_package_init(module, target)} for module, imports in import_graph().items()}
    visiting, done, loops = set(), set(), []

    def visit(module, path):
        if module in visiting:
            loops.append(path[path.index(module):] + [module])
            return
        if module in done:
            return
        visiting.add(module)
        for target in sorted(graph.get(module, ())):
            visit(target, path + [module])
        visiting.discard(module)
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert not loops


def graph_is_package_init(module: str, target: str) -> bool:
    """A package's __init__ re-exports its own modules: that edge is the package's face, not a dependency."""
    return module.startswith(target + ".") or target.startswith(module + ".")


def string_literals(tree: ast.Module) -> list[str]:
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def vocabulary_values(module) -> set[str]:
    """The string constants a vocabulary module defines (its UPPER_CASE names)."""
    return {value for name, value in vars(module).items() if name.isupper() and isinstance(value, str)}


def test_each_mlflow_tag_name_and_report_key_is_written_in_one_file():
    from trainables.contract import report_keys

    report_keys = vocabulary_values(report_keys)
    assert {"final", "outcome", "evaluation", "best_step", "placement_group"} <= report_keys
    where = defaultdict(set)
    for module, tree in product_files().items():
        for literal in string_literals(tree):
            if literal.startswith("sweeps.") and " " not in literal or literal in report_keys:
                where[literal].add(module)
    assert len(where) > 25  # every tag name and report key was found
    assert {literal: sorted(modules) for literal, modules in where.items() if len(modules) > 1} == {}
    assert {module for modules in where.values() for module in modules} == {"trainables.contract.mlflow_names", "trainables.contract.report_keys"}


def test_no_private_attribute_of_a_dependency_is_used():
    ours = set(product_files())
    private = []
    for module, tree in product_files().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__") and node.attr not in NAMEDTUPLE_API:
                owner = node.value
                if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                    private.append(f"{module}: .{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module and node.module not in ours:
                private += [f"{module}: from {node.module} import {alias.name}" for alias in node.names
                            if alias.name.startswith("_") and alias.name != "__future__"]
    assert private == []


@pytest.mark.parametrize("word", ["inject", "fault"])
def test_no_fault_injection_ships_in_the_product(word):
    pattern = re.compile(rf"\b{word}", re.IGNORECASE)
    mentions = [module for module, tree in product_files().items() if any(pattern.search(literal) for literal in string_literals(tree))]
    names = [module for module in product_files() if word in module]
    assert mentions == [] and names == []


def test_search_spaces_loads_without_ray():
    """Statically (no module there imports Ray, even lazily) and in a fresh interpreter that imports every one of them."""
    import subprocess
    import sys

    modules = sorted(module for module in product_files() if module.split(".")[0] == "search_spaces")
    static = [module for module, tree in product_files().items() if module in modules for node in ast.walk(tree)
              if isinstance(node, ast.Import | ast.ImportFrom) and any(name.split(".")[0] == "ray" for name in
                                                                       ([node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]))]
    assert static == []
    code = f"import sys; import {', '.join(modules)}; print(sorted(name for name in sys.modules if name.split('.')[0] == 'ray'))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert loaded.stdout.strip() == "[]", loaded.stdout


def test_every_scheduler_and_search_method_the_schema_names_has_a_builder():
    import typing

    from sweeps.search.methods import METHODS
    from sweeps.search.schedulers import SCHEDULERS
    from sweeps.sweep_file.schema import EarlyTerminateConfig, SweepConfig

    assert set(typing.get_args(EarlyTerminateConfig.model_fields["type"].annotation)) == set(SCHEDULERS)
    assert set(typing.get_args(SweepConfig.model_fields["method"].annotation)) == set(METHODS)
    assert all(callable(entry.build) for entry in SCHEDULERS.values())
    assert all(callable(entry.plan) and callable(entry.searcher) for entry in METHODS.values())
    # Each key a scheduler reads is a key of early_terminate.
    assert {key for entry in SCHEDULERS.values() for key in entry.reads} <= set(EarlyTerminateConfig.model_fields)


MLFLOW_WRITES = {"log_params", "set_tags"}  # called with a dict of names
NAMED_AT = {"set_tag": 1, "delete_tag": 1, "RunTag": 0, "Param": 0}  # the argument that names the param or tag


def mlflow_name_literals(tree: ast.Module) -> list[str]:
    """String literals naming an MLflow param or tag where one is written or read: a dict handed to log_params or
    set_tags (or as `tags=`), RunTag/Param/set_tag/delete_tag's name, and `.params[...]`/`.tags[...]` (or `.get`)."""
    def literal(node) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            dicts = [node.args[0]] if name in MLFLOW_WRITES and node.args else []
            dicts += [keyword.value for keyword in node.keywords if keyword.arg == "tags"]
            found += [literal(key) for named in dicts if isinstance(named, ast.Dict) for key in named.keys if literal(key)]
            position = NAMED_AT.get(name)
            if position is not None and len(node.args) > position and literal(node.args[position]):
                found.append(literal(node.args[position]))
            if name == "get" and isinstance(node.func.value, ast.Attribute) and node.func.value.attr in ("params", "tags") and node.args \
                    and literal(node.args[0]):
                found.append(literal(node.args[0]))
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr in ("params", "tags") \
                and literal(node.slice):
            found.append(literal(node.slice))
    return found


def test_mlflow_params_and_tags_are_named_by_the_vocabulary_not_by_literals():
    """Where the product writes or reads a run's params and tags, each name is a constant of the vocabulary
    (trainables/contract/mlflow_names.py), so one name can't drift between writer and reader."""
    literals = {module: sorted(set(mlflow_name_literals(tree))) for module, tree in product_files().items() if module != "trainables.contract.mlflow_names"}
    assert {module: found for module, found in literals.items() if found} == {}
    # and the check sees them where they are
    written = 'client.log_params({"seed": 1}); run.data.params["task"]; RunTag("mlflow.runName", "x"); run.data.tags.get("sweeps.role")'
    assert sorted(mlflow_name_literals(ast.parse(written))) == ["mlflow.runName", "seed", "sweeps.role", "task"]
