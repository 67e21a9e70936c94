"""Which Python a job runs in: the current interpreter, or a cached venv per spec.

Curated environments and image-only ones run in the interpreter amlpilot runs
in (an image can't run here; the job log says so). A conda or pip spec becomes
a venv under ``<root>/envs/<hash>/`` that sees this interpreter's packages
(``--system-site-packages`` plus a ``.pth`` for the packages of amlpilot's own
venv) and gets the pip dependencies installed on top. It is built once, under
a lock so that two jobs never build the same venv, and reused afterwards.
Conda packages can't be installed without conda: those already installed here
are used, the others are skipped with a warning in the job log.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import json
import re
import shutil
import site
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

from workspace.errors import AmlPilotError, NotSupportedLocallyError, UserInputError
from workspace.local.context import WorkspaceContext

_CONDA_TO_PIP = {"pytorch": "torch", "py-xgboost": "xgboost", "tensorflow-cpu": "tensorflow"}
_READY = ".amlpilot-ready"


class EnvironmentBuildError(AmlPilotError):
    pass


# -- at submit time ----------------------------------------------------------


def plan_environment(ctx: WorkspaceContext, environment: Any) -> dict:
    """Resolve the job's environment and decide how to run it; refuses what can't run here."""
    if environment is None:
        raise UserInputError.missing("environment", "e.g. azureml:AzureML-sklearn-1.5@latest")
    if isinstance(environment, str):
        from workspace.local.operations.environments import EnvironmentOperations

        entity = EnvironmentOperations(ctx).resolve(environment, field="environment")
        ref = f"azureml:{entity.name}:{entity.version}"
    else:
        entity, ref = environment, None
    if (entity.tags or {}).get("curated") == "true":
        return {"ref": ref, "kind": "interpreter", "warnings": []}
    spec = dict(entity._to_dict())
    plan = _plan_conda(spec.get("conda_file"), ref or "inline environment") if spec.get("conda_file") else None
    if plan is None:
        image = spec.get("image") or (spec.get("build") or {}).get("path") or "a Docker build context"
        warning = f"environment {ref or 'inline'} is image-only ({image}); it runs in the local interpreter {sys.executable} instead"
        plan = {"kind": "interpreter", "warnings": [warning]}
    return {"ref": ref, "spec": spec if ref is None else None, **plan}


def _plan_conda(conda: Any, label: str) -> dict:
    if isinstance(conda, str):
        import yaml

        conda = yaml.safe_load(Path(conda).read_text()) if Path(conda).is_file() else yaml.safe_load(conda)
    if not isinstance(conda, dict):
        raise UserInputError.invalid("environment.conda_file", str(conda)[:60], "is not a conda specification")
    pip, conda_packages, warnings = [], [], []
    for dependency in conda.get("dependencies") or []:
        if isinstance(dependency, dict):
            pip += [str(p) for p in dependency.get("pip") or [] if not str(p).startswith("-r")]
        elif isinstance(dependency, str):
            conda_packages.append(dependency.split("::")[-1].strip())
    skipped = []
    for package in conda_packages:
        name, wanted = _split_conda(package)
        if name == "pip":
            continue
        if name == "python":
            here = ".".join(map(str, sys.version_info[:3]))
            if _differs(wanted, here):
                warnings.append(f"{label} asks for python {wanted}; local jobs run Python {here} (no conda here)")
            continue
        installed = _installed_version(name)
        if installed is None:
            skipped.append(package)
        elif _differs(wanted, installed):
            warnings.append(f"{label} asks for conda package {package}; using the installed {name} {installed}")
    if skipped:
        warnings.append(f"{label}: conda packages {', '.join(skipped)} can't be installed without conda; skipped")
    requested = [p for p in conda_packages if _split_conda(p)[0] not in ("python", "pip")]
    if requested and len(skipped) == len(requested) and not pip:
        raise NotSupportedLocallyError.field(
            "environment.conda_file", ", ".join(skipped),
            "none of these conda packages is installed here and conda can't run locally; list them under pip:",
        )
    return {"kind": "venv", "pip": pip, "warnings": warnings}


def _split_conda(package: str) -> tuple[str, str | None]:
    match = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", package.strip())
    if not match:
        return package, None
    return match[1].lower(), (match[2].strip() or None)


def _differs(wanted: str | None, installed: str) -> bool:
    """An exact conda pin (=1.5, ==1.5.2) that the installed version doesn't match; ranges pass."""
    if not wanted or any(c in wanted for c in "<>~!*,|"):
        return False
    pin = wanted.lstrip("=")
    return not (installed == pin or installed.startswith(pin + "."))


def _installed_version(conda_name: str) -> str | None:
    try:
        return importlib.metadata.version(_CONDA_TO_PIP.get(conda_name, conda_name))
    except importlib.metadata.PackageNotFoundError:
        return None


# -- at run time -------------------------------------------------------------


def venv_key(plan: dict) -> str:
    """Same pip list on the same interpreter => same venv."""
    identity = {"python": sys.version, "base": str(Path(sys.executable).resolve()), "pip": sorted(plan.get("pip") or [])}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:24]


def prepare_python(root: Path, plan: dict, log: Callable[[str], None], log_file) -> Path:
    """The folder whose ``python`` runs the job; builds the venv on first use."""
    for warning in plan.get("warnings") or []:
        log(f"WARNING: {warning}")
    if plan["kind"] == "interpreter":
        return Path(sys.executable).parent
    envs = Path(root) / "envs"
    envs.mkdir(parents=True, exist_ok=True)
    key = venv_key(plan)
    env_dir = envs / key
    with open(envs / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second job with this spec waits for the first build
        if (env_dir / _READY).is_file():
            log(f"Using cached environment {env_dir}")
        else:
            _build(env_dir, plan, log, log_file)
    return env_dir / "bin"


def _build(env_dir: Path, plan: dict, log: Callable[[str], None], log_file) -> None:
    log(f"Building environment {env_dir}")
    shutil.rmtree(env_dir, ignore_errors=True)  # a build that died half-way
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(env_dir)], "venv", log_file)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    # --system-site-packages sees the base interpreter only, not amlpilot's own venv: add it.
    lines = [f"import site; site.addsitedir({p!r})" for p in site.getsitepackages()]
    (Path(purelib) / "_amlpilot_parent.pth").write_text("\n".join(lines) + "\n")
    if plan.get("pip"):
        requirements = env_dir / "requirements.txt"
        requirements.write_text("\n".join(plan["pip"]) + "\n")
        command = [sys.executable, "-m", "pip", "--python", str(python), "install",
                   "--disable-pip-version-check", "--no-input", "-r", str(requirements)]
        _run(command, "pip install", log_file)
    (env_dir / _READY).write_text(json.dumps(plan, indent=2))


def _run(command: list[str], what: str, log_file) -> None:
    log_file.flush()
    result = subprocess.run(command, stdout=log_file, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise EnvironmentBuildError(f"environment: {what} failed with exit code {result.returncode}; see the job log above")
