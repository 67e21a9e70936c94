"""agent.rbac: the built-in roles' semantics, table-driven."""

from __future__ import annotations

import pytest

from agent.rbac import GRANT_ACCESS, ML, allowed, denial

COMPUTE_WRITE = f"{ML}/computes/write"
COMPUTE_DELETE = f"{ML}/computes/delete"
COMPUTE_READ = f"{ML}/computes/read"
DATA_WRITE = f"{ML}/data/write"
MODEL_READ = f"{ML}/models/read"
WORKSPACE_WRITE = f"{ML}/write"

MATRIX = {
    #                          grant  cmp-w  cmp-d  cmp-r  data-w model-r ws-w
    "Owner":                  (True,  True,  True,  True,  True,  True,  True),
    "Contributor":            (False, True,  True,  True,  True,  True,  True),
    "Reader":                 (False, False, False, True,  False, True,  False),
    "AzureML Data Scientist": (False, False, False, True,  True,  True,  False),
    "AzureML Compute Operator": (False, True, True,  True,  False, False, False),
}
PERMISSIONS = (GRANT_ACCESS, COMPUTE_WRITE, COMPUTE_DELETE, COMPUTE_READ, DATA_WRITE, MODEL_READ, WORKSPACE_WRITE)


@pytest.mark.parametrize("role", list(MATRIX))
@pytest.mark.parametrize("index", range(len(PERMISSIONS)))
def test_role_matrix(role, index):
    assert allowed([role], PERMISSIONS[index]) is MATRIX[role][index]


def test_no_role_allows_nothing_and_undeclared_needs_contributor():
    assert not allowed([], MODEL_READ)
    assert not allowed(["Reader"], None)
    assert allowed(["Contributor"], None)


def test_denial_is_a_sentence_naming_who_and_what():
    text = denial("bob", ["Reader"], COMPUTE_WRITE, "compute-create")
    assert text.startswith("bob (Reader) may not run compute-create")
    assert "Owner, Contributor, AzureML Compute Operator" in text and text.endswith(".")


ENDPOINTS = f"{ML}/onlineEndpoints"
ENDPOINT_ACTIONS = {
    #                                               Owner Contrib Reader DataSci CompOp
    f"{ENDPOINTS}/read":                           (True, True,   True,  True,   False),
    f"{ENDPOINTS}/write":                          (True, True,   False, True,   False),
    f"{ENDPOINTS}/deployments/write":              (True, True,   False, True,   False),
    f"{ENDPOINTS}/score/action":                   (True, True,   False, True,   False),
    f"{ENDPOINTS}/listKeys/action":                (True, True,   False, True,   False),
    f"{ENDPOINTS}/deployments/getLogs/action":     (True, True,   False, True,   False),
    f"{ML}/batchEndpoints/deployments/jobs/write": (True, True,   False, True,   False),
    f"{ML}/batchEndpoints/delete":                 (True, True,   False, True,   False),
}


@pytest.mark.parametrize("permission", list(ENDPOINT_ACTIONS))
def test_endpoint_actions_follow_azure_roles(permission):
    """Azure's AzureML Data Scientist may deploy, score and read keys; a Reader only reads; a Compute Operator sees no endpoint."""
    assert tuple(allowed([role], permission) for role in MATRIX) == ENDPOINT_ACTIONS[permission]
