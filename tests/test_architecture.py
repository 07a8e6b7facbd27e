"""The rooms of the code, as ``make lint`` checks them (``lint-imports``).

import-linter's ``layers`` contract ([tool.importlinter] in pyproject.toml) holds on the
tree as it is, and the lint does fail when a domain module reaches up into the reader
site or the admin: a copy of the ``stories`` package with one such import added is
linted with the same command and the same configuration, and the report names the
broken contract and the import that broke it.
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


def contract_name() -> str:
    [contract] = tomllib.loads(CONFIG.read_text())["tool"]["importlinter"]["contracts"]
    return contract["name"]


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


def test_the_tree_keeps_the_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{contract_name()} KEPT" in result.stdout
    assert "Contracts: 1 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "importer", "imported"),
    [
        ("models.py", "from stories.reader import pages", "stories.models", "stories.reader.pages"),
        ("publishing.py", "from stories.admin import forms", "stories.publishing", "stories.admin.forms"),
    ],
    ids=["models-imports-the-reader", "publishing-imports-the-admin"],
)  # fmt: skip
def test_a_domain_module_importing_the_reader_or_the_admin_breaks_it(
    tmp_path, module, line, importer, imported
):
    shutil.copytree(
        ROOT / "stories", tmp_path / "stories", ignore=shutil.ignore_patterns("__pycache__")
    )
    with (tmp_path / "stories" / module).open("a") as source:
        source.write(f"\n{line}  # noqa\n")

    result = lint_imports(tmp_path)

    assert result.returncode != 0, result.stdout + result.stderr
    name = contract_name()
    assert f"{name} BROKEN" in result.stdout
    assert "Contracts: 0 kept, 1 broken." in result.stdout
    # The report names the contract and the very import that broke it, in the copy.
    broken = result.stdout[result.stdout.index("Broken contracts") :]
    assert name in broken
    assert f"{importer} is not allowed to import {imported.rsplit('.', 1)[0]}" in broken
    assert f"{importer} -> {imported}" in broken
