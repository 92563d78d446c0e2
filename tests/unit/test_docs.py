"""Docs that can't drift: every sweep-file key in the reference, every relative link resolving, every YAML block and
recipe validating as `--dry-run` validates it, and a README short enough to be read."""

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from sweeps.sweep_file import wandb_forms
from sweeps.sweep_file.schema import SweepConfig

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", REPO / "CHANGELOG.md", *sorted((REPO / "docs").rglob("*.md"))]
RECIPES = sorted((REPO / "docs" / "recipes").glob("*.yaml"))
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
YAML_BLOCK = re.compile(r"^```ya?ml\n(.*?)^```", re.MULTILINE | re.DOTALL)
# W&B's words the schema reads as ours before validating: named in the reference beside the keys they become.
WANDB_WORDS = {f"{scope}.{word}" if scope else word for scope, words in wandb_forms.WANDB_WORDS.items() for word in words}


def schema_keys(model=SweepConfig, prefix: str = "") -> list[str]:
    """Every dotted key a sweep file may hold, read from the pydantic models themselves."""
    from pydantic import BaseModel

    from sweeps.sweep_file.schema import ParameterSpec

    from sweeps.sweep_file.schema import GuardConfig

    keys = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"  # what the file says: `warm_start.from`, not the field `from_`
        keys.append(key)
        if model is SweepConfig and name == "parameters":  # dict[str, ParameterSpec]: any name
            keys += [f"parameters.NAME.{spec}" for spec in ParameterSpec.model_fields]
        elif model is SweepConfig and name == "guard":  # list[GuardConfig]
            keys += [f"guard[].{sub}" for sub in GuardConfig.model_fields]
        else:  # a section, or an optional one
            options = getattr(field.annotation, "__args__", None) or (field.annotation,)
            for option in options:
                if isinstance(option, type) and issubclass(option, BaseModel):
                    keys += schema_keys(option, f"{key}.")
    return keys


def test_every_key_of_the_schema_is_named_in_the_reference():
    reference = (REPO / "docs" / "sweep-file.md").read_text()
    named = set(re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", reference, flags=re.MULTILINE | re.DOTALL)))
    # A table cell may name several keys of one mapping: `parameters.NAME.min`, `parameters.NAME.max`.
    named |= {f"{cell.rsplit('.', 1)[0]}.{word}" for cell in named if "." in cell for word in re.findall(r"\w+", cell.split(",")[-1])}
    keys = schema_keys()
    assert len(keys) > 60
    missing = [key for key in keys if key not in named]
    assert not missing, f"keys of sweeps/sweep_file/schema.py missing from docs/sweep-file.md: {missing}"
    for word in WANDB_WORDS:
        assert word.rsplit(".", 1)[-1] in reference, word


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.MULTILINE | re.DOTALL)
    return {slug(heading) for heading in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}


def relative_links(page: Path) -> list[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.MULTILINE | re.DOTALL)
    return [target for target in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", target)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO)))
def test_every_relative_link_resolves(page):
    broken = []
    for target in relative_links(page):
        path, _, anchor = unquote(target).partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor}")
    assert not broken, broken


def test_the_pages_link_to_each_other():
    """Nothing in docs/ is an orphan: README or another page links to each page."""
    linked = {(page.parent / unquote(target).partition("#")[0]).resolve() for page in PAGES for target in relative_links(page)}
    orphans = [str(page.relative_to(REPO)) for page in PAGES[1:] if page.resolve() not in linked and page.name != "README.md"]
    assert not orphans


def test_the_readme_is_a_guide_not_a_manual():
    readme = (REPO / "README.md").read_text()
    assert len(readme.encode()) <= 12 * 1024
    commands = re.search(r"```bash\n(.+?)\n(.+?)\n```", readme)  # the first block: install, then the default sweep
    assert "pip install" in commands.group(1) and "grid.yaml" in commands.group(2)
    test_command = re.search(r"## Tests\n\n```bash\n(python -m pytest .+)\n```", readme).group(1)
    assert test_command in (REPO / ".ci" / "run").read_text().splitlines()  # CI runs what README says, every tier
    assert '-m "unit or component"' in test_command and '-m "not (unit or component)"' in test_command  # the two halves


def yaml_blocks() -> list:
    blocks = []
    for page in PAGES:
        for number, match in enumerate(YAML_BLOCK.finditer(page.read_text()), 1):
            blocks.append(pytest.param(match.group(1), id=f"{page.relative_to(REPO)}#{number}"))
    return blocks


def merged(base: dict, fragment: dict) -> dict:
    """The fragment's sections over the base's, key by key: its `parameters.loss` replaces the base's whole, and a
    `data` with its own `source` is another data set, not an edit of the base's."""
    out = dict(base)
    for key, value in fragment.items():
        keep_base = isinstance(value, dict) and isinstance(base.get(key), dict) and not (key == "data" and "source" in value)
        out[key] = {**base[key], **value} if keep_base else value
    return out


def validate_as_dry_run(path: Path):
    """What `sweeps run FILE --dry-run` checks before it plans resources on this machine (as the examples' test does)."""
    from sweeps.planning.trial_plan import plan_trials
    from sweeps.prepared_sweep import prepare_sweep
    from sweeps.sweep_file.loading import load_sweep_file

    config = load_sweep_file(path)
    prepared = prepare_sweep(config, path)
    assert all(prepared.data.train.values()) and prepared.models
    assert plan_trials(config).num_samples >= 1


@pytest.mark.parametrize("block", yaml_blocks())
def test_every_yaml_block_in_the_docs_validates(block, tmp_path):
    """A whole sweep file validates as it stands; a fragment (no `data`) validates on top of grid.yaml; a Kubernetes
    manifest parses. Paths in the blocks are relative to the repository's root, where README's commands run."""
    document = yaml.safe_load(block)
    assert isinstance(document, dict)
    missing = [folder for folder in re.findall(r"\.\./shared/data/(\w+)", block) if not (REPO.parent / "shared" / "data" / folder).exists()]
    if missing:
        pytest.skip(f"needs ../shared/data/{missing[0]}")
    if "apiVersion" in document:
        assert {"kind", "metadata", "spec"} <= set(document)
        return
    if "data" not in document or "parameters" not in document:
        document = merged(yaml.safe_load((REPO / "grid.yaml").read_text()), document)
    path = REPO / f".docs-block-{tmp_path.name}.yaml"  # the repository's root, so relative paths read as documented
    path.write_text(yaml.safe_dump(document))
    try:
        validate_as_dry_run(path)
    finally:
        path.unlink()


def recipe_params() -> list:
    params = []
    for recipe in RECIPES:
        folders = sorted(set(re.findall(r"shared/data/(\w+)", recipe.read_text())))
        params.append(pytest.param(recipe, id=recipe.stem, marks=[pytest.mark.shared(*folders)] if folders else []))
    return params


@pytest.mark.parametrize("recipe", recipe_params())
def test_every_recipe_validates_and_has_its_page(recipe):
    assert len(RECIPES) >= 5
    validate_as_dry_run(recipe)
    page = recipe.with_suffix(".md")
    assert page.exists() and f"({recipe.name})" in page.read_text()
