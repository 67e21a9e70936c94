"""Request -> (tool, arguments), for phrasings across every tool area, against a real, populated workspace.

The phrasings are written unlike the tools' own examples: terse, chatty,
misspelt, in Azure's words. Each row is one plain request; the planner must
propose exactly one call with exactly these arguments (nothing guessed, nothing
dropped).
"""

from __future__ import annotations

import pytest
from test_planner_support import plan, workspace  # noqa: F401  (a fixture)

DS = "Microsoft.MachineLearningServices/workspaces"

CASES = [
    # compute
    ("which clusters have I got", "compute-list", {"type": "cluster"}),
    ("pls show every compute target I've got", "compute-list", {}),
    ("list only the compute instances", "compute-list", {"type": "instance"}),
    ("what vm size does gpu-cluster use", "compute-get", {"name": "gpu-cluster"}),
    ("details on ci-alice please", "compute-get", {"name": "ci-alice"}),
    ("spin up a GPU cluster named gpu2 with NC6s v3 machines, max 2", "compute-create",
     {"name": "gpu2", "size": "STANDARD_NC6s_v3", "max_instances": 2}),
    ("new cluster big-one, 1 to 6 nodes, dedicated", "compute-create",
     {"name": "big-one", "min_instances": 1, "max_instances": 6, "tier": "dedicated"}),
    ("crete a clsuter calld tiny with up to 2 nodes", "compute-create", {"name": "tiny", "max_instances": 2}),
    ("provision an amlcompute cluster 'etl-cluster' on D4s v3, idle 10 min before scaling down", "compute-create",
     {"name": "etl-cluster", "size": "STANDARD_D4s_v3", "idle_time_before_scale_down": 600}),
    ("I want a spot cluster called cheap1 that goes up to 10 nodes", "compute-create",
     {"name": "cheap1", "tier": "low_priority", "max_instances": 10}),
    ("bump gpu-cluster up to 3 nodes", "compute-update", {"name": "gpu-cluster", "max_instances": 3}),
    ("cpu-cluster should keep 1 node warm", "compute-update", {"name": "cpu-cluster", "min_instances": 1}),
    ("let cpu-cluster sit idle for 30 minutes before it scales down", "compute-update",
     {"name": "cpu-cluster", "idle_time_before_scale_down": 1800}),
    ("scale my gpu cluster to 2 nodes", "compute-update", {"name": "gpu-cluster", "max_instances": 2}),
    ("turn ci-alice off", "compute-stop", {"name": "ci-alice"}),
    ("power up ci-alice", "compute-start", {"name": "ci-alice"}),
    ("please remove the compute gpu-cluster", "compute-delete", {"name": "gpu-cluster"}),
    ("destroy ci-alice", "compute-delete", {"name": "ci-alice"}),
    # datastores
    ("what datastores are registered", "datastores-list", {}),
    ("which storage account does trainingblobs use", "datastores-get", {"name": "trainingblobs"}),
    ("register blob container raw in storage account acmestore as rawstore", "datastores-create_blob",
     {"name": "rawstore", "account_name": "acmestore", "container_name": "raw"}),
    ("delete the trainingblobs datastore please", "datastores-delete", {"name": "trainingblobs"}),
    # data
    ("list my data assets", "data-list", {}),
    ("show me every version of diabetes-training", "data-list", {"name": "diabetes-training"}),
    ("list datasets, archived ones included", "data-list", {"include_archived": True}),
    ("tell me about the sales dataset", "data-get", {"name": "sales"}),
    ("details of diabetes-training:1", "data-get", {"name": "diabetes-training", "version": "1"}),
    ("register ./data/new.csv as a uri_file called new-sales", "data-create",
     {"name": "new-sales", "path": "./data/new.csv", "type": "uri_file"}),
    ("upload ~/datasets/churn as churn-data", "data-create", {"name": "churn-data", "path": "~/datasets/churn"}),
    ("make a data asset named web-logs from https://example.com/logs.csv", "data-create",
     {"name": "web-logs", "path": "https://example.com/logs.csv"}),
    ("archive diabetes-training v1", "data-archive", {"name": "diabetes-training", "version": "1"}),
    ("unarchive sales", "data-restore", {"name": "sales"}),
    ("show me 5 rows from diabetes-training", "data-preview_rows", {"name": "diabetes-training", "rows": 5}),
    ("what columns are in sales?", "data-preview_rows", {"name": "sales"}),
    # environments
    ("what envs can i use", "environments-list", {}),
    ("list environments without the curated ones", "environments-list", {"include_curated": False}),
    ("what's inside train-env", "environments-get", {"name": "train-env"}),
    ("create an environment called sk-env from ./env/conda.yml", "environments-create",
     {"name": "sk-env", "conda_file": "./env/conda.yml"}),
    ("make env infer-env using docker image python:3.11-slim", "environments-create",
     {"name": "infer-env", "image": "python:3.11-slim"}),
    ("archive the train-env environment", "environments-archive", {"name": "train-env"}),
    # components
    ("which components are registered?", "components-list", {}),
    ("register the component defined in ./components/prep.yml", "components-create", {"path": "./components/prep.yml"}),
    ("what inputs does the prep_data component take", "components-get", {"name": "prep_data"}),
    # models
    ("which models have been registered", "models-list", {}),
    ("every version of diabetes-model", "models-list", {"name": "diabetes-model"}),
    ("describe diabetes-model v1", "models-get", {"name": "diabetes-model", "version": "1"}),
    ("register ./outputs/model as a model called churn-model", "models-create",
     {"name": "churn-model", "path": "./outputs/model"}),
    ("save runs:/abc123/model as model fraud-model", "models-create", {"name": "fraud-model", "path": "runs:/abc123/model"}),
    ("retire version 1 of diabetes-model", "models-archive", {"name": "diabetes-model", "version": "1"}),
    ("download diabetes-model to ./artifacts", "models-download", {"name": "diabetes-model", "download_path": "./artifacts"}),
    ("unarchive diabetes-model", "models-restore", {"name": "diabetes-model"}),
    # access
    ("who has access here?", "access-list", {}),
    ("what roles does bob have", "access-list", {"principal": "bob"}),
    ("make carol@contoso.com an owner", "access-grant", {"principal": "carol@contoso.com", "role": "Owner"}),
    ("give dave the data scientist role", "access-grant", {"principal": "dave", "role": "AzureML Data Scientist"}),
    ("grant reader to erin", "access-grant", {"principal": "erin", "role": "Reader"}),
    ("revoke bob's reader role", "access-revoke", {"principal": "bob", "role": "Reader"}),
    ("who is allowed to create compute?", "access-check", {"action": "compute-create"}),
    ("who can delete clusters", "access-check", {"action": "compute-delete"}),
    ("who could deploy models here", "access-check", {"action": f"{DS}/onlineEndpoints/deployments/write"}),
    # workspace, undo
    ("give me a summary of the workspace", "workspace-summary", {}),
    ("what's in here", "workspace-summary", {}),
    ("revert the last thing you did", "session-undo", {}),
    ("undo please", "session-undo", {}),
]


def test_the_table_covers_every_tool_area():
    areas = {tool.partition("-")[0] for _, tool, _ in CASES}
    assert areas >= {"compute", "datastores", "data", "environments", "components", "models", "access", "workspace", "session"}
    assert len(CASES) >= 60


@pytest.mark.parametrize(("text", "tool", "arguments"), CASES, ids=[c[0] for c in CASES])
def test_request_becomes_one_call(workspace, text, tool, arguments):
    reply = plan(text, workspace)
    assert reply.calls == ((tool, arguments),), reply.text
