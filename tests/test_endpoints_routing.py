"""Traffic on real deployments: weights, mirroring, shifts under load, validation, and a killed worker.

One workspace serves the module: endpoint ``route-ep`` with ``blue`` and
``green`` (the MLflow model) and ``slow`` (a score.py that can be told to
sleep), each with room for several concurrent requests.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from endpoints_support import (  # noqa: F401
    Caller, make_endpoint, mlflow_deployment, module_client, rows, script_deployment, set_traffic, trained, worker_pids,
)
from test_jobs_support import mlflow_db_template, wait_for  # noqa: F401
from workspace.errors import UserInputError

EP = "route-ep"
ROOMY = {"request_timeout_ms": 30000, "max_concurrent_requests_per_instance": 8, "max_queue_wait_ms": 5000}


@pytest.fixture(scope="module")
def routed(module_client):
    from azure.ai.ml.entities import OnlineRequestSettings

    make_endpoint(module_client, EP)
    settings = OnlineRequestSettings(**ROOMY)
    with ThreadPoolExecutor(3) as pool:  # the gateway starts them side by side
        futures = [pool.submit(mlflow_deployment, module_client, name, EP, request_settings=settings) for name in ("blue", "green")]
        futures.append(pool.submit(script_deployment, module_client, "slow", EP, request_settings=settings))
        for future in futures:
            future.result()
    set_traffic(module_client, EP, {"blue": 100})
    return module_client


def served_by(caller: Caller, n: int, headers: dict | None = None) -> Counter:
    body = {"input_data": rows(1)}

    def one(_):
        response = caller.post(body, headers=headers)
        assert response.status_code == 200, response.text
        return response.headers["azureml-model-deployment"]

    with ThreadPoolExecutor(4) as pool:
        return Counter(pool.map(one, range(n)))


def test_weights_split_requests_within_tolerance(routed):
    set_traffic(routed, EP, {"blue": 70, "green": 30})
    counts = served_by(Caller(routed, EP), 1000)
    assert set(counts) == {"blue", "green"}
    assert abs(counts["green"] - 300) < 75, counts  # ±5 standard deviations of a binomial(1000, 0.3)
    set_traffic(routed, EP, {"blue": 100, "green": 0})


def test_mirror_copies_requests_without_answering_them(routed):
    set_traffic(routed, EP, {"blue": 100, "green": 0}, mirror={"green": 20})
    before = routed.online_endpoints.get_metrics(EP)["green"]["request_count"]
    counts = served_by(Caller(routed, EP), 1000)
    assert counts == {"blue": 1000}  # the shadow's answers never reach the caller

    def settled():
        first = routed.online_endpoints.get_metrics(EP)["green"]["request_count"]
        time.sleep(0.3)
        return first if routed.online_endpoints.get_metrics(EP)["green"]["request_count"] == first else None

    mirrored = wait_for(settled, what="mirrored requests to finish") - before
    assert abs(mirrored - 200) < 65, mirrored  # ±5 standard deviations of a binomial(1000, 0.2)
    set_traffic(routed, EP, {"blue": 100}, mirror={"green": 0})


def test_header_targets_a_deployment_without_traffic(routed):
    assert served_by(Caller(routed, EP), 20, headers={"azureml-model-deployment": "green"}) == {"green": 20}


@pytest.mark.slow
def test_traffic_shift_under_load_drops_nothing(routed):
    from azure.ai.ml.entities import ManagedOnlineDeployment

    caller = Caller(routed, EP)
    stop = threading.Event()
    statuses: Counter = Counter()
    served: Counter = Counter()
    lock = threading.Lock()

    def load():
        while not stop.is_set():
            response = caller.post({"input_data": rows(2)})
            with lock:
                statuses[response.status_code] += 1
                served[response.headers.get("azureml-model-deployment")] += 1

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for traffic in ({"blue": 100, "green": 0}, {"blue": 90, "green": 10}, {"blue": 0, "green": 100}):
            set_traffic(routed, EP, traffic)
            time.sleep(0.5)
        green = routed.online_deployments.get("green", EP)
        green.instance_count = 2  # a new set of instances replaces the old one while green takes all traffic
        routed.online_deployments.begin_create_or_update(ManagedOnlineDeployment._load(data=green._to_dict())).result()
        time.sleep(0.5)
        set_traffic(routed, EP, {"blue": 100, "green": 0})  # rollback
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert set(statuses) == {200}, statuses
    assert statuses[200] > 100 and served["blue"] > 0 and served["green"] > 0
    assert len(worker_pids(routed, EP, "green")) == 2


@pytest.mark.parametrize("traffic, mirror, named", [
    ({"blue": 60, "green": 30}, {}, "sums to 90"),
    ({"blue": 100, "purple": 0}, {}, "'purple' is not a deployment"),
    ({"blue": 99.5, "green": 0.5}, {}, "must be a whole number"),
    ({"blue": 100}, {"green": 60}, "from 0 to 50"),
    ({"blue": 100}, {"blue": 10}, "already takes live traffic"),
    ({"blue": 100}, {"green": 10, "slow": 10}, "more than one deployment"),
])
def test_bad_traffic_is_refused_and_nothing_changes(routed, traffic, mirror, named):
    before = routed.online_endpoints.get(EP)
    with pytest.raises(UserInputError, match=named):
        set_traffic(routed, EP, traffic, mirror=mirror)
    after = routed.online_endpoints.get(EP)
    assert (after.traffic, after.mirror_traffic) == (before.traffic, before.mirror_traffic)


def test_a_deployment_with_traffic_cannot_be_deleted(routed):
    with pytest.raises(UserInputError, match="carries 100% of endpoint 'route-ep'"):
        routed.online_deployments.begin_delete("blue", EP)
    assert routed.online_deployments.get("blue", EP).provisioning_state == "Succeeded"


def test_killed_worker_fails_in_flight_requests_with_502_and_comes_back(routed):
    caller = Caller(routed, EP)
    [pid] = worker_pids(routed, EP, "slow")
    sleep = 20.0
    with ThreadPoolExecutor(3) as pool:
        started = time.monotonic()
        futures = [pool.submit(caller.post, {"data": rows(1), "sleep": sleep}, {"azureml-model-deployment": "slow"}) for _ in range(3)]
        time.sleep(1.0)  # the requests are in the worker now
        os.kill(pid, signal.SIGKILL)
        responses = [f.result() for f in futures]
        elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [502, 502, 502], [r.text for r in responses]
    assert "stopped while handling the request" in responses[0].json()["error"]
    assert elapsed < sleep  # they failed when the worker died, not when the sleep would have ended

    def restarted():
        pids = worker_pids(routed, EP, "slow")
        return pids and pids[0] != pid and caller.post({"data": rows(1)}, {"azureml-model-deployment": "slow"}).status_code == 200

    wait_for(restarted, timeout=60, what="the worker to be restarted")


def test_an_instance_failing_its_liveness_probe_is_replaced(routed):
    from azure.ai.ml.entities import OnlineRequestSettings, ProbeSettings

    probe = ProbeSettings(period=1, timeout=1, failure_threshold=2)
    script_deployment(routed, "stuck", EP, request_settings=OnlineRequestSettings(**ROOMY), liveness_probe=probe)
    caller = Caller(routed, EP)
    target = {"azureml-model-deployment": "stuck"}
    [pid] = worker_pids(routed, EP, "stuck")
    response = caller.post({"data": rows(1), "sleep": 25}, target)  # the worker stops answering its probe
    assert response.status_code == 502, response.text

    def replaced():
        pids = worker_pids(routed, EP, "stuck")
        return pids and pids[0] != pid and caller.post({"data": rows(1)}, target).status_code == 200

    wait_for(replaced, timeout=60, what="a new instance")
    routed.online_deployments.begin_delete("stuck", EP).result()
