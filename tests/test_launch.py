"""Launching works from every door: Binder's environment matches pyproject, the Colab badges
and install line come from the one repository URL, slides have their metadata, and the
widgets run on ipywidgets 7.7 (what Colab ships) as well as 8."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import launch  # noqa: E402
import slides  # noqa: E402

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
NOTEBOOKS = launch.notebook_paths(ROOT)
IDS = [p.name for p in NOTEBOOKS]
CONDA_TO_PYPI = {"pytorch-cpu": "torch"}  # conda-forge name -> PyPI name
ENV_ONLY = {"python", "pip", "jupyterlab-slideshow"}  # interpreter, installer, classroom extension
# Packages Colab's runtime has, beside the standard library (course_utils may import only these).
COLAB_MODULES = {
    "numpy",
    "matplotlib",
    "matplotlib_inline",
    "torch",
    "ipywidgets",
    "IPython",
    "traitlets",
    "tqdm",
}
COLAB_SHIPS = {"ipywidgets": "7.7.1", "torch": "2.6.0", "numpy": "2.0.2", "matplotlib": "3.10.0"}


def pyproject_deps() -> dict[str, Requirement]:
    """pyproject's runtime dependencies by (lower-case) name."""
    reqs = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    return {r.name.lower(): r for r in reqs}


def environment() -> dict:
    """environment.yml, parsed."""
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def conda_name(spec: str) -> str:
    """'pytorch-cpu>=2.2' -> 'pytorch-cpu'."""
    return re.split(r"[<>=!~ ]", spec.strip(), maxsplit=1)[0].lower()


def env_packages() -> tuple[dict[str, str], list[str]]:
    """environment.yml's conda packages (name -> spec) and its pip lines."""
    conda, pip = {}, []
    for dep in environment()["dependencies"]:
        if isinstance(dep, dict):
            pip += dep.get("pip", [])
        else:
            conda[conda_name(dep)] = dep
    return conda, pip


# --- Binder / conda ---------------------------------------------------------------------------


def test_environment_names_the_same_dependencies_as_pyproject():
    conda, pip = env_packages()
    pip_names = {Requirement(p).name.lower() for p in pip if not p.startswith("-")}
    in_env = {CONDA_TO_PYPI.get(n, n) for n in conda} | pip_names
    in_env -= ENV_ONLY
    missing = set(pyproject_deps()) - in_env
    extra = in_env - set(pyproject_deps())
    assert not missing, f"environment.yml lacks {sorted(missing)} (pyproject.toml depends on them)"
    assert not extra, f"environment.yml has {sorted(extra)} that pyproject.toml does not name"


def test_environment_pins_python_on_conda_forge_and_installs_the_package():
    env = environment()
    conda, pip = env_packages()
    assert env["channels"][0] == "conda-forge", "Binder should solve from conda-forge first"
    assert re.fullmatch(r"python=3\.\d+", conda.get("python", "")), (
        "pin python (repo2docker defaults to 3.10)"
    )
    version = conda["python"].split("=")[1]
    assert version in SpecifierSet(PYPROJECT["project"]["requires-python"]), (
        "python pin outside requires-python"
    )
    assert "pytorch-cpu" in " ".join(conda), "use conda-forge's CPU-only torch (pytorch-cpu)"
    assert "-e ." in pip, "environment.yml must install the course package (pip: -e .)"
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists(), (
        "a binder/ folder makes repo2docker ignore the top-level environment.yml"
    )


def test_environment_versions_fit_pyproject():
    conda, _ = env_packages()
    deps = pyproject_deps()
    for name, spec in conda.items():
        pypi = CONDA_TO_PYPI.get(name, name)
        lower = re.search(r">=\s*([\d.]+)", spec)
        if pypi in deps and lower:
            assert deps[pypi].specifier.contains(lower.group(1), prereleases=True), (
                f"environment.yml allows {spec}, which pyproject.toml ({deps[pypi]}) forbids"
            )


# --- Colab --------------------------------------------------------------------------------------


def test_pyproject_admits_what_colab_ships():
    deps = pyproject_deps()
    for name, version in COLAB_SHIPS.items():
        assert deps[name].specifier.contains(version), (
            f"pyproject.toml's {deps[name]} rejects Colab's {name} {version}: "
            "Colab would reinstall it"
        )


def test_course_utils_imports_only_what_colab_has():
    """The Colab cell installs with --no-deps, so course_utils may import only Colab's packages."""
    allowed = set(sys.stdlib_module_names) | COLAB_MODULES | {"course_utils"}
    bad = []
    for path in (ROOT / "course_utils").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            bad += [
                f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] not in allowed
            ]
    assert not bad, f"imports Colab may lack (the Colab cell installs with --no-deps): {bad}"


def test_repository_url_is_a_github_url():
    assert launch.repository_url(ROOT / "pyproject.toml").startswith("https://github.com/")


def test_launch_rewrites_a_stale_url_and_keeps_outputs():
    url = "https://github.com/someone/fork"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 01 · Title\n\nIntro."),
        nbformat.v4.new_code_cell(
            'import sys\nif "google.colab" in sys.modules:\n    %pip install -q "course-utils @ git+https://github.com/old/repo"\nprint(1)'
        ),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    new = launch.updated_notebook(nb, url, "notebooks/01_x.ipynb")
    again = launch.updated_notebook(new, url, "notebooks/01_x.ipynb")
    assert again.cells[0].source.startswith("# 01 · Title\n\n[![Open In Colab]")
    assert again.cells[0].source.count("Open In Colab") == 1 and "Intro." in again.cells[0].source
    assert (
        "colab.research.google.com/github/someone/fork/blob/main/notebooks/01_x.ipynb"
        in again.cells[0].source
    )
    assert (
        '    %pip install -q --no-deps "course-utils @ git+https://github.com/someone/fork"\n'
        in again.cells[1].source
    )
    assert again.cells[1].outputs[0].text == "1\n"


def test_launch_explains_a_missing_install_line():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 01 · T"),
        nbformat.v4.new_code_cell("import numpy"),
    ]
    with pytest.raises(ValueError, match="Colab block shown in notebooks/README.md"):
        launch.updated_notebook(nb, "https://github.com/a/b", "notebooks/01_x.ipynb")


def test_readme_block_opens_binder_on_notebook_01():
    url = launch.repository_url(ROOT / "pyproject.toml")
    block = launch.readme_block(url, NOTEBOOKS, ROOT)
    if NOTEBOOKS and NOTEBOOKS[0].name.startswith("01_"):
        assert f"?labpath=notebooks%2F{NOTEBOOKS[0].name})" in block
    for path in NOTEBOOKS:
        assert launch.colab_url(url, f"notebooks/{path.name}") in block


# --- Slides ---------------------------------------------------------------------------------------


def test_slide_defaults_follow_the_rules_and_explicit_types_win():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        md("# 04 · Title"),
        code("import sys"),
        md("## 1. Section"),
        code("x = 1"),
        md("Then this."),
        md("### Detail"),
        md("<details><summary>Solution</summary>x</details>"),
        md("> **Teacher notes:** pause here."),
        md("## 2. Kept"),
        code(""),
    ]
    nb.cells[8].metadata["slideshow"] = {"slide_type": "subslide"}
    assert slides.add_slide_types(nb) == 9
    got = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    assert got == [
        "slide",
        "skip",
        "slide",
        "-",
        "subslide",
        "subslide",
        "fragment",
        "notes",
        "subslide",
        "skip",
    ]
    assert slides.add_slide_types(nb) == 0 and slides.problems(nb) == []


def test_slide_check_rejects_an_unknown_type():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# T", metadata={"slideshow": {"slide_type": "slyde"}})
    ]
    assert "slyde" in slides.problems(nb)[0]


# --- ipywidgets 7.7 (Colab) ----------------------------------------------------------------------


def widget_modules() -> list[str]:
    """Every course_utils.widgets.* module, found on disk (others add them as they go)."""
    import course_utils.widgets as pkg

    return [
        f"course_utils.widgets.{m.name}"
        for m in pkgutil.iter_modules(pkg.__path__)
        if not m.name.startswith("_")
    ]


PROBE = r"""
import importlib, inspect, sys
import matplotlib
matplotlib.use("Agg")
import ipywidgets
assert ipywidgets.__version__.startswith("7.7"), ipywidgets.__version__

def drive(state):
    for w in state.values():
        if isinstance(w, (ipywidgets.Dropdown, ipywidgets.ToggleButtons, ipywidgets.RadioButtons,
                          ipywidgets.SelectionSlider)):
            values = (o[1] if isinstance(o, tuple) else o for o in w.options)
            w.value = [v for v in values if v != w.value][0]
            return type(w).__name__
        if hasattr(w, "max") and hasattr(w, "min") and isinstance(w, ipywidgets.ValueWidget):
            w.value = w.max if w.value != w.max else w.min
            return type(w).__name__
        if isinstance(w, ipywidgets.Checkbox | ipywidgets.ToggleButton):
            w.value = not w.value
            return type(w).__name__
    return None

for name in sys.argv[1:]:
    module = importlib.import_module(name)
    for fname, f in inspect.getmembers(module, inspect.isfunction):
        required = [p for p in inspect.signature(f).parameters.values()
                    if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
        if not fname.startswith("make_") or f.__module__ != name or required:
            continue
        ui, state = f()
        assert isinstance(ui, ipywidgets.Widget), f"{name}.{fname}: ui is not a widget"
        print(f"{name}.{fname}: built, drove {drive(state)}")
"""


def ipywidgets77(cache: Path = ROOT / "build" / "ipywidgets-7.7") -> Path:
    """A folder holding ipywidgets 7.7 (pip --target, cached in build/); skip if pip cannot."""
    if (cache / "ipywidgets").is_dir():
        return cache
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "--no-deps",
        "--target",
        str(cache),
        "ipywidgets==7.7.*",
        "ipython_genutils",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot install ipywidgets 7.7 from the package index: {result.stderr[-500:]}")
    return cache


def test_widgets_work_with_ipywidgets_7_7():
    """Colab ships ipywidgets 7.x: build every make_*() and run the widget tests against 7.7."""
    modules = widget_modules()
    if not modules:
        pytest.skip("no course_utils.widgets modules yet")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ipywidgets77()), str(ROOT)])}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, *modules], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert probe.returncode == 0, (
        f"a widget fails on ipywidgets 7.7:\n{probe.stdout}\n{probe.stderr[-3000:]}"
    )
    tests = sorted(str(p) for p in (ROOT / "tests").glob("test_widgets*.py"))
    if tests:
        run = subprocess.run(
            [
                sys.executable,
                "-c",
                "import ipywidgets, sys, pytest; assert ipywidgets.__version__.startswith('7.7');"
                " sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', *sys.argv[1:]]))",
                *tests,
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert run.returncode == 0, (
            f"widget tests fail on ipywidgets 7.7:\n{run.stdout[-3000:]}\n{run.stderr[-1000:]}"
        )


def test_widget_modules_are_found():
    """The 7.7 check finds modules by walking the package: make sure the walk sees them."""
    on_disk = {p.stem for p in (ROOT / "course_utils" / "widgets").glob("[!_]*.py")}
    assert {m.rsplit(".", 1)[1] for m in widget_modules()} == on_disk
    for name in widget_modules():
        module = importlib.import_module(name)
        assert inspect.ismodule(module)
