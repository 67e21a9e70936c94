"""The plugins as semantic-kernel sees them: every tool exposed, constraints in the schema, real invocation."""

from __future__ import annotations

import asyncio

import pytest

from tools.base import ToolContext
from tools.catalog import all_specs, build_plugins


@pytest.fixture
def kernel(client):
    from semantic_kernel import Kernel

    kernel = Kernel()
    for plugin in build_plugins(client, ToolContext(user="tester")):
        kernel.add_plugin(plugin.as_kernel_plugin())
    return kernel


def _tool_schema(kernel, full_name: str) -> dict:
    from semantic_kernel.connectors.ai.function_calling_utils import kernel_function_metadata_to_function_call_format

    plugin, function = full_name.split("-", 1)
    return kernel_function_metadata_to_function_call_format(kernel.get_function(plugin, function).metadata)["function"]


def _invoke(kernel, full_name: str, **arguments):
    from semantic_kernel.functions import KernelArguments

    plugin, function = full_name.split("-", 1)
    return asyncio.run(kernel.invoke(kernel.get_function(plugin, function), KernelArguments(**arguments))).value


def test_every_tool_is_a_kernel_function_with_its_description(kernel):
    exposed = {f"{m.plugin_name}-{m.name}": m for m in kernel.get_full_list_of_function_metadata()}
    specs = all_specs()
    assert set(exposed) == set(specs)
    for name, metadata in exposed.items():
        assert metadata.description == specs[name].description.split("\n\n")[0]
        assert [p.name for p in metadata.parameters] == [p.name for p in specs[name].parameters]


def test_the_model_sees_constraints_enums_and_what_is_required(kernel):
    schema = _tool_schema(kernel, "compute-create")
    properties = schema["parameters"]["properties"]
    assert schema["name"] == "compute-create" and schema["parameters"]["required"] == ["name"]
    assert properties["max_instances"]["minimum"] == 1 and properties["max_instances"]["default"] == 4
    assert "STANDARD_NC24ads_A100_v4" in properties["size"]["enum"]
    assert properties["tier"]["enum"] == ["dedicated", "low_priority"]
    assert properties["name"]["pattern"].startswith("^[A-Za-z]")
    preview_rows = _tool_schema(kernel, "data-preview_rows")["parameters"]["properties"]["rows"]
    assert (preview_rows["minimum"], preview_rows["maximum"]) == (1, 50)
    secret = _tool_schema(kernel, "datastores-create_blob")["parameters"]["properties"]["account_key"]
    assert secret["type"] == "string" and secret["format"] == "password"
    update = _tool_schema(kernel, "compute-update")["parameters"]
    assert update["required"] == ["name"] and update["properties"]["max_instances"]["type"] == "integer"


def test_kernel_invocation_creates_a_real_cluster(kernel, client):
    result = _invoke(kernel, "compute-create", name="cpu-cluster", max_instances="8", tier="Low_Priority")
    assert result["status"] == "created"
    created = client.compute.get("cpu-cluster")
    assert (created.max_instances, created.tier, created.size) == (8, "low_priority", "STANDARD_DS3_v2")
    assert _invoke(kernel, "compute-list") == [result["compute"]]


def test_bad_arguments_from_the_model_fail_with_our_one_line_error(kernel, client):
    with pytest.raises(Exception) as raised:
        _invoke(kernel, "compute-create", name="cpu-cluster", max_instances="lots")
    cause = raised.value.__cause__ or raised.value
    assert str(cause).startswith("max_instances: 'lots' is invalid")
    assert list(client.compute.list()) == []
