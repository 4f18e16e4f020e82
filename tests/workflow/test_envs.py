"""Each conda env under envs/ lists exactly what its rules import (for snakemake --sdm conda).

A rule's imports are its script's, followed through every ldct module it reaches (imports
inside functions included), less the standard library; module names map to the packages that
provide them. Packages that are only loaded by another at run time (pydicom's data and JPEG
plugins) count as used when that package is.
"""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from pathlib import Path

import yaml

from conftest import REPO
from ldct.core.methods import METHODS

#: Import name -> the package that provides it (conda or pip name, as the env files write it).
PACKAGES = {
    "numpy": "numpy",
    "scipy": "scipy",
    "yaml": "pyyaml",
    "jsonschema": "jsonschema",
    "pydicom": "pydicom",
    "requests": "requests",
    "tqdm": "tqdm",
    "torch": "torch",
    "skimage": "scikit-image",
    "matplotlib": "matplotlib-base",
    "statsmodels": "statsmodels",
}
#: Packages a used package loads itself: listed for it, never imported by name.
PLUGINS = {
    "pydicom": {"pydicom-data", "pylibjpeg", "pylibjpeg-openjpeg", "pylibjpeg-libjpeg"},
    "scikit-image": {"pywavelets"},  # estimate_sigma (nl_means told to estimate the noise)
}
ALWAYS = {"python", "pip"}
#: Modules of the methods' optional extras (bm3d: non-commercial licence): never in an env file,
#: whose users add them as they add the extra (envs/torch.yaml says how).
OPTIONAL_EXTRAS = {entry.extra for entry in METHODS.values() if entry.extra}
RULE = re.compile(r"^\s*rule (\w+):\n(?P<body>(?:\s{4,}.*\n|\n)+)", re.MULTILINE)


def rule_envs_and_scripts() -> dict[str, tuple[str, str]]:
    """Rule name -> (env file name, script path) for every rule with both."""
    found = {}
    for path in sorted((REPO / "rules").glob("*.smk")):
        for match in RULE.finditer(path.read_text()):
            env = re.search(r'conda:\s*"\.\./envs/([\w.]+)"', match["body"])
            script = re.search(r'script:\s*"\.\./(workflow_scripts/[\w.]+)"', match["body"])
            if env and script:
                found[match[1]] = (env[1], script[1])
    return found


def imported_names(path: Path, package: str | None) -> set[str]:
    """Absolute names of every module ``path`` imports, anywhere in the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
                names |= {module} | {f"{module}.{alias.name}" for alias in node.names}
            else:
                names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def ldct_file(module: str) -> tuple[Path, str] | None:
    """The file of an ldct module (or package) and its package, or None for a name in one."""
    path = REPO.joinpath(*module.split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py"), module.rsplit(".", 1)[0]
    if (path / "__init__.py").is_file():
        return path / "__init__.py", module
    return None


@cache
def external_imports(module: str) -> frozenset[str]:
    """Top-level names of the non-standard-library modules ``module`` reaches."""
    located = ldct_file(module)
    if located is None:
        return frozenset()
    found: set[str] = set()
    for name in imported_names(*located):
        top = name.split(".")[0]
        if top == "ldct":
            found |= external_imports(name)
        elif top not in sys.stdlib_module_names and top != "__future__":
            found.add(top)
    return frozenset(found)


def script_imports(script: str) -> set[str]:
    found = set()
    for name in imported_names(REPO / script, None):
        top = name.split(".")[0]
        if top == "ldct":
            found |= external_imports(name)
        elif top not in sys.stdlib_module_names:
            found.add(top)
    return found


def env_packages(env: str) -> set[str]:
    """Package names an env file lists (conda and pip), versions dropped."""
    names = set()
    for entry in yaml.safe_load((REPO / "envs" / env).read_text())["dependencies"]:
        entries = entry["pip"] if isinstance(entry, dict) else [entry]
        names |= {re.split(r"[=<>]", item)[0].strip() for item in entries}
    return names


def test_every_rule_but_all_has_an_env_and_a_script():
    names = {
        match[1] for path in (REPO / "rules").glob("*.smk") for match in RULE.finditer(path.read_text())
    }
    assert {"simulate", "denoise", "download_tcia_series", "finetune_dncnn"} <= names
    assert set(rule_envs_and_scripts()) == names


def test_each_env_lists_exactly_what_its_rules_import():
    needed: dict[str, set[str]] = {}
    for rule, (env, script) in rule_envs_and_scripts().items():
        modules = script_imports(script) - OPTIONAL_EXTRAS
        unknown = modules - set(PACKAGES)
        assert not unknown, f"rule {rule} imports {unknown}: add them to PACKAGES"
        needed.setdefault(env, set()).update(PACKAGES[module] for module in modules)
    problems = {}
    for env, packages in needed.items():
        used = packages | ALWAYS | {p for used in packages for p in PLUGINS.get(used, ())}
        listed = env_packages(env)
        if packages - listed or listed - used:
            problems[env] = {"missing": sorted(packages - listed), "unused": sorted(listed - used)}
    assert problems == {}
