"""Submitting a pipeline job: its steps become a checked DAG of command-job templates.

Accepts azure-ai-ml's ``PipelineJob``, from ``load_job`` of a ``type: pipeline``
YAML or from a ``@pipeline`` function. Steps are command components (inline,
from a YAML file, or registered: ``azureml:name:version``); pipeline components
nest, and are flattened here into one DAG whose step ids are paths
(``prep/clean``). Bindings are read in azure-ai-ml's own string form
(``${{parent.inputs.x}}``, ``${{parent.jobs.a.outputs.y}}``,
``${{parent.outputs.z}}``; the DSL's objects give the same string through
``_data_binding()``). Every step is checked as a command job (``submit.prepare``)
before anything is queued; an error names the step: ``jobs.train.compute: ...``.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from workspace.errors import AmlPilotError, NotSupportedLocallyError, UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.controlplane import children, state
from workspace.local.controlplane.bindings import resolve_inputs
from workspace.local.controlplane.parents import display_inputs

PARENT_PORT = re.compile(r"^\$\{\{\s*parent\.(inputs|outputs)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")
STEP_OUTPUT = re.compile(r"^\$\{\{\s*parent\.jobs\.([A-Za-z_][A-Za-z0-9_\-]*)\.outputs\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")
UPSTREAM = "<output of an upstream step>"  # a step input's value until the step feeding it has run
PARENT = "@parent"  # export key of the pipeline job's own outputs


def prepare_pipeline(ctx: WorkspaceContext, job: Any, name: str, base_path: Path) -> dict:
    settings = job.settings
    experiment = job.experiment_name or Path.cwd().resolve().stem.replace(" ", "") or "Default"
    top_inputs = _top_inputs(ctx, job, base_path)
    compiler = _Compiler(ctx, name, base_path, experiment, {n: _data(o) for n, o in (job.outputs or {}).items()})
    top_outputs = {n: [(PARENT, n)] for n in (job.outputs or {})}
    default_compute = getattr(settings, "default_compute", None) or job.compute
    compiler.compile(job.jobs, _Scope((), top_inputs, top_outputs, default_compute))
    steps = compiler.link()
    from workspace.local.rai.pipeline_checks import check_pipeline

    check_pipeline(steps)  # RAI steps: bad arguments fail here, before any step computes
    plan = {
        "steps": steps, "outputs": compiler.parent_outputs(list(job.outputs or {})),
        "continue_on_step_failure": bool(getattr(settings, "continue_on_step_failure", None)),
        "force_rerun": bool(getattr(settings, "force_rerun", None)),
    }
    spec = {
        "pipeline": plan, "inputs": {n: b for n, b in top_inputs.items() if b is not None}, "outputs": {},
        "entity": _entity_data(job, top_inputs, compiler), "compute_given": str(default_compute) if default_compute else None,
        "description": job.description, "tags": dict(job.tags or {}), "properties": dict(job.properties or {}),
    }
    return {
        "name": name, "type": "pipeline", "status": state.NOT_STARTED, "compute": state.DRIVER_POOL, "slots": 1,
        "spec": spec, "experiment_name": experiment, "display_name": job.display_name or name,
        "parent_job_name": None, "created_by": ctx.user,
    }


@dataclass
class _Scope:
    path: tuple[str, ...]
    inputs: dict[str, Any]  # pipeline input -> binding (resolved, a {"ref": ...}, or None when unset)
    outputs: dict[str, list]  # pipeline output -> export keys a step output bound to it feeds
    compute: Any


class _Compiler:
    def __init__(self, ctx: WorkspaceContext, parent: str, base_path: Path, experiment: str, declarations: dict) -> None:
        self.ctx, self.parent, self.base_path, self.experiment = ctx, parent, base_path, experiment
        self.declarations = declarations  # the pipeline job's own outputs, as declared
        self.steps: dict[str, dict] = {}
        self.pipelines: set[str] = set()  # ids of nested pipeline nodes
        self.exports: dict[tuple[str, str], tuple[str, str]] = {}  # (pipeline node or @parent, output) -> (step, output)

    def compile(self, jobs: dict | None, scope: _Scope) -> None:
        if not jobs:
            raise UserInputError.missing(_field(scope.path, "jobs"), "a pipeline needs at least one step")
        for node_name, node in jobs.items():
            path = scope.path + (node_name,)
            kind = str(getattr(node, "type", None) or type(node).__name__)
            with _in_step(path):
                if kind == "pipeline":
                    self._pipeline_node(node, path, scope)
                elif kind == "command":
                    self._command_node(node, path, scope)
                else:
                    raise NotSupportedLocallyError.field("type", kind, "local pipelines run command and pipeline steps")

    def _pipeline_node(self, node: Any, path: tuple[str, ...], scope: _Scope) -> None:
        component = self._component(node.component, "pipeline")
        inputs = self._node_inputs(node, scope)
        for input_name, declaration in (component.inputs or {}).items():
            default = getattr(declaration, "default", None)
            if input_name not in inputs and default is not None:
                inputs[input_name] = resolve_inputs(self.ctx, {input_name: default}, {}, self.base_path)[input_name]
        outputs = {}
        for out_name in component.outputs or {}:
            bound = _binding(getattr((node.outputs or {}).get(out_name), "_data", None))
            outputs[out_name] = [("/".join(path), out_name)] + self._sinks(bound, scope, out_name)
        self.pipelines.add("/".join(path))
        self.compile(component.jobs, _Scope(path, inputs, outputs, node.compute or scope.compute))

    def _command_node(self, node: Any, path: tuple[str, ...], scope: _Scope) -> None:
        from azure.ai.ml.entities import CommandJob

        from workspace.local.controlplane.submit import prepare

        component = self._component(node.component, "command")
        inputs = self._node_inputs(node, scope)
        declared = set(component.inputs or {}) | set(inputs)
        defaults = {n: d.default for n, d in (component.inputs or {}).items() if getattr(d, "default", None) is not None}
        outputs = self._node_outputs(node, component, path, scope)
        job = CommandJob(
            command=component.command, code=_code(component), environment=getattr(node, "environment", None) or component.environment,
            inputs={n: _job_input(b) for n, b in inputs.items()}, outputs=outputs, compute=node.compute or scope.compute,
            environment_variables={**(component.environment_variables or {}), **(getattr(node, "environment_variables", None) or {})},
            distribution=getattr(node, "distribution", None) or component.distribution,
            resources=getattr(node, "resources", None) or component.resources, limits=getattr(node, "limits", None),
            experiment_name=self.experiment,
        )
        row = prepare(self.ctx, job, self.parent, self.base_path, defaults, declared)
        deterministic = getattr(component, "is_deterministic", None)
        self.steps["/".join(path)] = {
            "template": children.template(row, declared, outputs), "deterministic": deterministic is not False,
            "refs": {n: b["ref"] for n, b in inputs.items() if "ref" in b},
            "display_name": getattr(node, "display_name", None) or "/".join(path),
            "component": getattr(component, "name", None),
        }

    def _node_inputs(self, node: Any, scope: _Scope) -> dict[str, Any]:
        bound: dict[str, Any] = {}
        for input_name, node_input in (node.inputs or {}).items():
            data = _binding(getattr(node_input, "_data", node_input))
            field = f"inputs.{input_name}"
            if data is None:
                continue
            port = PARENT_PORT.match(data) if isinstance(data, str) else None
            upstream = STEP_OUTPUT.match(data) if isinstance(data, str) else None
            if port and port[1] == "outputs":
                raise UserInputError.invalid(field, data, "reads a pipeline output; bind the step output that writes it instead")
            if port:
                if port[2] not in scope.inputs:
                    raise UserInputError.invalid(field, data, f"names pipeline input {port[2]!r}, which is not defined ({_listed(scope.inputs)})")
                if scope.inputs[port[2]] is not None:
                    bound[input_name] = scope.inputs[port[2]]
            elif upstream:
                bound[input_name] = {"ref": ["/".join(scope.path + (upstream[1],)), upstream[2]]}
            else:
                bound[input_name] = resolve_inputs(self.ctx, {input_name: data}, {}, self.base_path)[input_name]
        return bound

    def _node_outputs(self, node: Any, component: Any, path: tuple[str, ...], scope: _Scope) -> dict[str, Any]:
        from azure.ai.ml import Output

        declared = component.outputs or {}
        for out_name in node.outputs or {}:
            if out_name not in declared:
                raise UserInputError.invalid(f"outputs.{out_name}", out_name, f"is not an output of the component ({_listed(declared)})")
        outputs = {}
        for out_name, declaration in declared.items():
            data = getattr((node.outputs or {}).get(out_name), "_data", None)
            bound = _binding(data)
            given = data if not isinstance(bound, str) else None
            for key in self._sinks(bound, scope, out_name):
                self.exports[key] = ("/".join(path), out_name)
                if key[0] == PARENT:
                    given = self.declarations.get(key[1]) or given  # the pipeline's output says where and as what
            fields = {f: getattr(given, f, None) for f in ("path", "name", "version", "mode")}
            out_type = getattr(given, "type", None) or getattr(declaration, "type", None) or "uri_folder"
            outputs[out_name] = Output(type=out_type, **{k: v for k, v in fields.items() if v is not None})
        return outputs

    def _sinks(self, bound: Any, scope: _Scope, out_name: str) -> list:
        port = PARENT_PORT.match(bound) if isinstance(bound, str) else None
        if not port:
            return []
        if port[1] != "outputs" or port[2] not in scope.outputs:
            raise UserInputError.invalid(f"outputs.{out_name}", bound, f"names no output of the pipeline ({_listed(scope.outputs)})")
        return scope.outputs[port[2]]

    def _component(self, component: Any, kind: str) -> Any:
        if isinstance(component, str):
            from workspace.local.operations.components import ComponentOperations

            reference = component if component.startswith("azureml:") else f"azureml:{component}"
            component = ComponentOperations(self.ctx).resolve(reference, field="component")
        found = getattr(component, "type", None)
        if found != kind:
            raise UserInputError.invalid("component", getattr(component, "name", None), f"is a {found} component, but the step is a {kind} step")
        return component

    # -- after every step is known -------------------------------------------------------

    def link(self) -> dict[str, dict]:
        """Resolve each upstream reference to the step that writes it; refuses unknown steps and cycles."""
        for step_id, step in self.steps.items():
            for input_name, (target, out) in list(step["refs"].items()):
                with _in_step(tuple(step_id.split("/"))):
                    step["refs"][input_name] = list(self._source(target, out, f"inputs.{input_name}"))
            step["deps"] = sorted({source for source, _ in step["refs"].values()})
        _check_acyclic(self.steps)
        return self.steps

    def _source(self, target: str, out: str, field: str) -> tuple[str, str]:
        text = f"${{{{parent.jobs.{target.split('/')[-1]}.outputs.{out}}}}}"
        if target in self.steps:
            outputs = self.steps[target]["template"]["outputs"]
            if out not in outputs:
                raise UserInputError.invalid(field, text, f"names output {out!r}, which step {target!r} does not have ({_listed(outputs)})")
            return target, out
        if (target, out) in self.exports:
            return self.exports[(target, out)]
        if target in self.pipelines:
            raise UserInputError.invalid(field, text, f"names output {out!r} of pipeline step {target!r}, which no step inside it writes")
        scope = target.rpartition("/")[0]
        siblings = sorted(s.rpartition("/")[2] for s in [*self.steps, *self.pipelines] if s.rpartition("/")[0] == scope)
        raise UserInputError.invalid(field, text, f"names step {target.rpartition('/')[2]!r}, which the pipeline does not have (steps: {', '.join(siblings)})")

    def parent_outputs(self, names: list[str]) -> dict[str, list[str]]:
        outputs = {}
        for out_name in names:
            if (PARENT, out_name) not in self.exports:
                raise UserInputError.invalid(f"outputs.{out_name}", out_name, f"is written by no step; bind a step output to ${{{{parent.outputs.{out_name}}}}}")
            outputs[out_name] = list(self.exports[(PARENT, out_name)])
        return outputs


def _check_acyclic(steps: dict[str, dict]) -> None:
    """Kahn's algorithm; what is left over lies on a cycle."""
    waiting = {step_id: set(step["deps"]) for step_id, step in steps.items()}
    while True:
        ready = [s for s, deps in waiting.items() if not deps]
        if not ready:
            break
        for step_id in ready:
            del waiting[step_id]
        for deps in waiting.values():
            deps.difference_update(ready)
    if waiting:
        cycle = sorted(waiting)
        raise UserInputError.invalid("jobs", " -> ".join(cycle + cycle[:1]), "form a cycle: each of these steps waits for another's output")


# -- small helpers ----------------------------------------------------------------------


def _top_inputs(ctx: WorkspaceContext, job: Any, base_path: Path) -> dict[str, Any]:
    resolved = {}
    for input_name, pipeline_input in (job.inputs or {}).items():
        data = getattr(pipeline_input, "_data", pipeline_input)
        resolved[input_name] = None if data is None else resolve_inputs(ctx, {input_name: data}, {}, base_path)[input_name]
    return resolved


def _binding(data: Any) -> Any:
    """The DSL's input/output objects as the binding string YAML would hold."""
    binding = getattr(data, "_data_binding", None)
    return binding() if callable(binding) and not _is_plain_io(data) else data


def _is_plain_io(data: Any) -> bool:
    from azure.ai.ml import Input, Output

    return isinstance(data, (Input, Output))


def _data(port: Any) -> Any:
    return getattr(port, "_data", None) or port


def _job_input(binding: dict) -> Any:
    """A resolved binding as CommandJob input; upstream outputs are a placeholder until they exist."""
    from azure.ai.ml import Input

    if "ref" in binding:
        return UPSTREAM
    if binding["type"] == "literal":
        return binding["value"]
    return Input(type=binding["type"], path=binding["path"], mode=binding.get("mode"))


def _code(component: Any) -> Any:
    """The component's code as an absolute path: it is relative to the component's file, not the pipeline's."""
    code = getattr(component, "code", None)
    if not code or "://" in str(code) or str(code).startswith(("azureml:", "git+")) or Path(str(code)).is_absolute():
        return code
    return str((Path(getattr(component, "_base_path", None) or Path.cwd()) / str(code)).resolve())


def _field(path: tuple[str, ...], *rest: str) -> str:
    return ".".join([f"jobs.{part}" for part in path] + list(rest))


def _listed(names: Any) -> str:
    return ", ".join(sorted(names)) or "none"


@contextmanager
def _in_step(path: tuple[str, ...]) -> Iterator[None]:
    """Errors inside a step name it: 'jobs.train.compute: ...' (nested: 'jobs.prep.jobs.clean. ...')."""
    try:
        yield
    except AmlPilotError as exc:
        prefix = "jobs." + ".jobs.".join(path) + "."
        if exc.message.startswith("jobs."):
            raise
        try:
            error = type(exc)(prefix + exc.message)
        except TypeError:
            error = AmlPilotError(prefix + exc.message)
        raise error from None


def _entity_data(job: Any, top_inputs: dict, compiler: _Compiler) -> dict:
    """The PipelineJob as azure-ai-ml's dict, with resolved inputs and the code snapshots.

    azure-ai-ml can't load a nested pipeline component written inline, so such a
    node shows its component as a reference (as Azure ML shows every component).
    """
    data = job._to_dict()
    data.pop("name", None)
    data["inputs"] = display_inputs({n: b for n, b in top_inputs.items() if b is not None})
    for node_name, node in (data.get("jobs") or {}).items():
        component = node.get("component")
        if isinstance(component, dict) and component.get("type") == "pipeline":
            node["component"] = f"azureml:{component.get('name') or 'azureml_anonymous'}:{component.get('version') or '1'}"
        elif isinstance(component, dict) and node_name in compiler.steps:
            code = (compiler.steps[node_name]["template"]["spec"].get("code") or {}).get("local")
            component["code"] = code or component.get("code")  # the user's folder may go away; the snapshot stays
        node["inputs"] = {k: v for k, v in (node.get("inputs") or {}).items() if not _is_local_path(v)}
    return data


def _is_local_path(value: Any) -> bool:
    """azure-ai-ml writes a node's local input path as 'azureml:./data', which it can't read back."""
    return isinstance(value, dict) and str(value.get("path", "")).startswith("azureml:.")
