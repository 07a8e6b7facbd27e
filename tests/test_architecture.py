"""The rooms of the code, as ``make lint`` checks them (``lint-imports``).

import-linter's contracts ([tool.importlinter] in pyproject.toml) hold on the tree as it
is, and the lint does fail when a domain module reaches up into the reader site or the
admin, when a content module reaches up into the models, or when the outside verifier
imports Django or anything of the project: a copy of the ``stories`` package with one
such import added is linted with the same command and the same configuration, and the
report names the broken contract and the import that broke it.
"""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def contract_names() -> dict[str, str]:
    contracts = tomllib.loads(CONFIG.read_text())["tool"]["importlinter"]["contracts"]
    return {contract["id"]: contract["name"] for contract in contracts}


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    """``make lint``'s import check on the ``stories`` package found in ``tree``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--config", str(CONFIG)],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    names = contract_names()
    assert set(names) == {"rooms", "verifier"}
    for name in names.values():
        assert f"{name} KEPT" in result.stdout
    assert f"Contracts: {len(names)} kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract", "importer", "imported"),
    [
        ("models/working_copy.py", "from stories.reader import pages", "rooms", "stories.models.working_copy", "stories.reader.pages"),
        ("publishing.py", "from stories.admin import forms", "rooms", "stories.publishing", "stories.admin.forms"),
        ("content/kinds.py", "from stories.models import Story", "rooms", "stories.content.kinds", "stories.models"),
        ("record/outside_verifier.py", "import django.conf", "verifier", "stories.record.outside_verifier", "django"),
        ("record/outside_verifier.py", "from stories.record import merkle", "verifier", "stories.record.outside_verifier", "stories.record.merkle"),
    ],
    ids=[
        "models-import-the-reader",
        "publishing-imports-the-admin",
        "content-imports-the-models",
        "verifier-imports-django",
        "verifier-imports-the-project",
    ],
)  # fmt: skip
def test_an_import_against_the_rooms_breaks_the_lint(
    tmp_path, module, line, contract, importer, imported
):
    shutil.copytree(
        ROOT / "stories", tmp_path / "stories", ignore=shutil.ignore_patterns("__pycache__")
    )
    with (tmp_path / "stories" / module).open("a") as source:
        source.write(f"\n{line}  # noqa\n")

    result = lint_imports(tmp_path)

    assert result.returncode != 0, result.stdout + result.stderr
    name = contract_names()[contract]
    assert f"{name} BROKEN" in result.stdout
    assert f"Contracts: {len(contract_names()) - 1} kept, 1 broken." in result.stdout
    # The report names the contract and the very import that broke it, in the copy.
    broken = result.stdout[result.stdout.index("Broken contracts") :]
    assert name in broken
    assert f"{importer} -> {imported}" in broken
