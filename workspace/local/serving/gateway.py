"""The scoring gateway: ``python -m workspace.local.serving.gateway --root DIR``.

One asyncio process per workspace, started and watched by the control plane.
It listens on 127.0.0.1 (port recorded in ``serving``), checks keys and tokens,
routes ``POST /<endpoint>/score`` by traffic weight (or the
``azureml-model-deployment`` header), copies mirror traffic to a shadow
deployment, and keeps per-deployment metrics (``GET /-/metrics``). Every 0.2 s
it looks at the desired generation; on a change it starts new or changed
deployments first, swaps the routing table, and only then drains and stops the
instances that nothing routes to any more, so no request is dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import logging
import os
import random
import signal
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from workspace.local.context import WorkspaceContext
from workspace.local.serving import keys, state
from workspace.local.serving.http import HttpProtocol, error_body
from workspace.local.serving.metrics import DeploymentMetrics
from workspace.local.serving.pool import DeploymentRuntime
from workspace.local.serving.routes import Route, build_route
from workspace.local.serving.state import deployment_log, serving_dir

MAX_BODY = 1536 * 1024  # Azure managed online endpoints take up to 1.5 MB
RELOAD_EVERY = 0.2
_log = logging.getLogger("amlpilot.gateway")


class Gateway:
    def __init__(self, root: Path) -> None:
        self.ctx = WorkspaceContext(root, secrets_backend=os.environ.get("AMLPILOT_SECRETS_BACKEND", "auto"))
        self.store = self.ctx.store
        self.routes: dict[str, Route] = {}
        self.runtimes: dict[str, DeploymentRuntime] = {}
        self.starting: dict[str, tuple[str, asyncio.Task]] = {}
        self.metrics: dict[str, DeploymentMetrics] = {}
        self.endpoints: dict[str, dict] = {}
        self.secrets: dict[str, tuple[str, ...]] = {}
        self.generation = -1
        self.rng = random.Random()
        self.stopping = asyncio.Event()
        self._background: set[asyncio.Task] = set()

    async def run(self, port: int = 0) -> None:
        loop = asyncio.get_running_loop()
        factory = lambda: HttpProtocol(self.handle, MAX_BODY)  # noqa: E731
        # The last port again when it is free, so scoring URIs survive a restart.
        port = port or state.serving_row(self.store)["port"] or 0
        try:
            server = await loop.create_server(factory, "127.0.0.1", port, backlog=1024)
        except OSError:
            server = await loop.create_server(factory, "127.0.0.1", 0, backlog=1024)
        bound = server.sockets[0].getsockname()[1]
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        from workspace.local.controlplane import procs

        await asyncio.to_thread(state.record_gateway, self.store, os.getpid(), procs.start_time(os.getpid()), bound)
        _log.info("gateway %d listening on 127.0.0.1:%d", os.getpid(), bound)
        # A deleted workspace ends its gateway, as it ends its daemon: nobody could stop it by pid any more.
        while not self.stopping.is_set() and self.ctx.paths.db.exists():
            try:
                await self.reload()
            except Exception:  # a locked database or a bad row: log it and try again
                _log.exception("reloading the routing table failed")
            with contextlib.suppress(asyncio.TimeoutError):  # the usual case: time to reload again
                await asyncio.wait_for(self.stopping.wait(), RELOAD_EVERY)
        server.close()
        for _, task in self.starting.values():
            task.cancel()
        await asyncio.gather(*(r.stop() for r in self.runtimes.values()), return_exceptions=True)
        await asyncio.to_thread(state.record_gateway_stopped, self.store, os.getpid())
        _log.info("gateway %d stopped", os.getpid())

    # -- the routing table ------------------------------------------------

    async def reload(self) -> None:
        current = await asyncio.to_thread(lambda: state.serving_row(self.store)["desired_generation"])
        if current == self.generation:
            return
        generation, endpoint_rows, deployment_rows = await asyncio.to_thread(state.desired, self.store)
        self.endpoints = {row.name: row.spec for row in endpoint_rows}
        self.secrets = await asyncio.to_thread(self._read_secrets)
        wanted = {row.name: row.spec for row in deployment_rows}
        for key, spec in wanted.items():
            digest = state.spec_hash(spec)
            running = self.runtimes.get(key)
            if (running and running.digest == digest) or (key in self.starting and self.starting[key][0] == digest):
                continue
            if key in self.starting:
                self.starting[key][1].cancel()
            self.starting[key] = (digest, self._background_task(self._start(key, digest, spec)))
        for key in [k for k in self.starting if k not in wanted]:
            self.starting.pop(key)[1].cancel()
        retired = [self.runtimes.pop(k) for k in list(self.runtimes) if k not in wanted]
        for key in [k for k in self.metrics if k not in wanted]:
            del self.metrics[key]
        self._rebuild_routes()
        for runtime in retired:  # only after the new table is live
            self._background_task(runtime.drain_and_stop())
        await asyncio.to_thread(state.record_applied, self.store, generation)
        self.generation = generation

    def _read_secrets(self) -> dict[str, tuple[str, ...]]:
        found = {}
        for name, spec in self.endpoints.items():
            fields = ("token-secret",) if spec.get("auth_mode") == "aml_token" else keys.KEY_TYPES
            found[name] = tuple(keys.get(self.ctx_secrets, name, f) or "" for f in fields)
        return found

    @property
    def ctx_secrets(self):
        from workspace.local.secrets import SecretStore

        return SecretStore(self.ctx.paths.secrets, self.ctx.secrets_backend)

    def _rebuild_routes(self) -> None:
        by_endpoint: dict[str, list[str]] = {}
        for key in self.runtimes:
            endpoint, name = key.split("/", 1)
            by_endpoint.setdefault(endpoint, []).append(name)
        self.routes = {
            name: build_route(spec, by_endpoint.get(name, []), self.secrets.get(name, ()))
            for name, spec in self.endpoints.items()
        }

    async def _start(self, key: str, digest: str, spec: dict) -> None:
        endpoint, name = key.split("/", 1)
        log_path = deployment_log(self.ctx.root, endpoint, name)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        launch = spec.get("local_launch") or {}
        try:
            python = await asyncio.to_thread(self._python_for, launch, log_path)
            runtime = DeploymentRuntime(endpoint, name, digest, spec, launch, python / "python", log_path)
            await runtime.start()
        except Exception as exc:  # StartFailed, a failed environment build, anything: it becomes the status
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            _log.warning("deployment %s failed: %s", key, reason)
            await asyncio.to_thread(state.set_deployment_status, self.store, endpoint, name, digest, "Failed", reason)
            return
        finally:
            if self.starting.get(key, (None,))[0] == digest:
                del self.starting[key]
        old = self.runtimes.get(key)
        self.runtimes[key] = runtime
        self.metrics.setdefault(key, DeploymentMetrics())
        self._rebuild_routes()
        if old is not None:
            self._background_task(old.drain_and_stop())
        await asyncio.to_thread(state.set_deployment_status, self.store, endpoint, name, digest, "Succeeded")

    def _python_for(self, launch: dict, log_path: Path) -> Path:
        from workspace.local.controlplane.environments import prepare_python

        with open(log_path, "a") as log:
            return prepare_python(self.ctx.root, launch.get("environment") or {"kind": "interpreter"},
                                  lambda line: print(line, file=log, flush=True), log)

    def _background_task(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # -- requests ---------------------------------------------------------

    async def handle(self, method: str, target: str, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
        path = target.split("?", 1)[0].strip("/")
        if path.startswith("-/"):
            return self._admin(method, path, target)
        endpoint, _, action = path.partition("/")
        route = self.routes.get(endpoint)
        if route is None or action != "score":
            return 404, {}, error_body(f"no endpoint at /{path}; POST to /<endpoint>/score")
        if method != "POST":
            return 405, {}, error_body("use POST to score")
        if not route.authorised(headers.get("authorization")):
            what = "token" if route.auth_mode == "aml_token" else "key"
            return 401, {}, error_body(f"a valid {what} is required: send 'Authorization: Bearer <{what}>'")
        chosen = headers.get("azureml-model-deployment")
        if chosen:
            if chosen not in route.deployments:
                return 404, {}, error_body(f"deployment {chosen!r} is not a ready deployment of endpoint {endpoint!r}")
        else:
            chosen = route.pick(self.rng)
            if chosen is None:
                return 503, {}, error_body(f"endpoint {endpoint!r} has no deployment with traffic; set its traffic, e.g. amlpilot endpoint traffic {endpoint} <deployment>=100")
            shadow = route.shadow(self.rng)
            if shadow and shadow in route.deployments:
                self._background_task(self._score(f"{endpoint}/{shadow}", body))
        status, payload = await self._score(f"{endpoint}/{chosen}", body)
        return status, {"azureml-model-deployment": chosen}, payload

    async def _score(self, key: str, body: bytes) -> tuple[int, bytes]:
        runtime = self.runtimes.get(key)
        if runtime is None:
            return 503, error_body(f"deployment {key.split('/', 1)[1]!r} is not ready")
        started = time.perf_counter()
        status, payload = await runtime.submit(body)
        metrics = self.metrics.setdefault(key, DeploymentMetrics())
        metrics.record((time.perf_counter() - started) * 1000, status < 400)
        return status, payload

    def _admin(self, method: str, path: str, target: str) -> tuple[int, dict, bytes]:
        if method != "GET":
            return 405, {}, error_body("admin paths take GET")
        if path == "-/health":
            return 200, {}, json.dumps({"status": "ok", "generation": self.generation}).encode()
        if path == "-/metrics":
            wanted = parse_qs(urlsplit(target).query).get("endpoint", [None])[0]
            result = {key: m.snapshot() for key, m in self.metrics.items() if wanted is None or key.split("/", 1)[0] == wanted}
            return 200, {}, json.dumps(result).encode()
        if path == "-/instances":
            result = {key: [{"index": i.index, "pid": i.pid, "alive": i.alive} for i in r.instances] for key, r in self.runtimes.items()}
            return 200, {}, json.dumps(result).encode()
        return 404, {}, error_body(f"no admin path /{path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workspace.local.serving.gateway")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = args.root.resolve()
    serving_dir(root).mkdir(parents=True, exist_ok=True)
    lock = open(serving_dir(root) / "gateway.lock", "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        _log.info("another gateway serves %s; exiting", root)
        return 0
    asyncio.run(Gateway(root).run(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
