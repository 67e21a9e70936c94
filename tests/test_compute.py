"""client.compute: clusters and instances stored, shown, validated."""

from __future__ import annotations

import pytest

from workspace.errors import NotSupportedLocallyError, ResourceNotFoundError, UserInputError


def _cluster(**overrides):
    from azure.ai.ml.entities import AmlCompute

    fields = dict(name="cpu-cluster", size="STANDARD_DS3_v2", min_instances=0, max_instances=4,
                  idle_time_before_scale_down=120, tier="low_priority")
    fields.update(overrides)
    return AmlCompute(**fields)


def test_cluster_fields_are_stored_and_returned(client):
    from azure.ai.ml.entities import AmlCompute

    created = client.compute.begin_create_or_update(_cluster()).result()
    fetched = client.compute.get("cpu-cluster")
    for entity in (created, fetched):
        assert isinstance(entity, AmlCompute)
        assert (entity.size, entity.min_instances, entity.max_instances) == ("STANDARD_DS3_v2", 0, 4)
        assert (entity.idle_time_before_scale_down, entity.tier) == (120, "low_priority")
        assert entity.provisioning_state == "Succeeded"
    assert fetched.creation_context.created_by == "tester"


def test_compute_instance_and_list_by_type(client):
    from azure.ai.ml.entities import ComputeInstance

    client.compute.begin_create_or_update(_cluster()).result()
    client.compute.begin_create_or_update(ComputeInstance(name="ci-alice", size="STANDARD_DS11_v2")).result()
    assert sorted(c.name for c in client.compute.list()) == ["ci-alice", "cpu-cluster"]
    assert [c.name for c in client.compute.list(compute_type="ComputeInstance")] == ["ci-alice"]
    assert client.compute.get("ci-alice").state == "Running"
    client.compute.begin_stop("ci-alice").result()
    assert client.compute.get("ci-alice").state == "Stopped"


def test_update_scales_but_keeps_size(client):
    client.compute.begin_create_or_update(_cluster()).result()
    client.compute.begin_create_or_update(_cluster(max_instances=8)).result()
    assert client.compute.get("cpu-cluster").max_instances == 8
    with pytest.raises(UserInputError, match="size"):
        client.compute.begin_create_or_update(_cluster(size="STANDARD_NC6")).result()
    assert client.compute.get("cpu-cluster").size == "STANDARD_DS3_v2"


def test_delete(client):
    client.compute.begin_create_or_update(_cluster()).result()
    client.compute.begin_delete("cpu-cluster").result()
    assert list(client.compute.list()) == []
    with pytest.raises(ResourceNotFoundError, match="cpu-cluster"):
        client.compute.begin_delete("cpu-cluster")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "1cluster"}, "name"),
        ({"name": "a" * 17}, "name"),
        ({"name": "bad_name"}, "name"),
        ({"name": "x"}, "name"),
        ({"size": "huge"}, "size"),
        ({"min_instances": 5, "max_instances": 2}, "min_instances"),
        ({"max_instances": 0}, "max_instances"),
    ],
)
def test_bad_cluster_is_refused_and_nothing_written(client, overrides, field):
    with pytest.raises(UserInputError) as info:
        client.compute.begin_create_or_update(_cluster(**overrides))
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}:") and "\n" not in str(info.value)
    assert list(client.compute.list()) == []


def test_unknown_compute_names_the_known_ones(client):
    client.compute.begin_create_or_update(_cluster()).result()
    with pytest.raises(ResourceNotFoundError, match="known: cpu-cluster"):
        client.compute.get("gpu-cluster")


def test_kubernetes_compute_is_not_supported_locally(client):
    from azure.ai.ml.entities import KubernetesCompute

    with pytest.raises(NotSupportedLocallyError, match="type"):
        client.compute.begin_create_or_update(KubernetesCompute(name="k8s", resource_id="/x"))
