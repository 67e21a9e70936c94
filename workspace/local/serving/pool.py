"""A deployment's instances as seen by the gateway: worker processes, their queue and their health.

``Instance`` is one worker behind a socketpair. Requests carry ids, so many
can be in flight on one socket; when the worker dies, every request still
waiting on it fails at once with 502 and the deployment starts a replacement.
``DeploymentRuntime`` applies ``request_settings`` (concurrent requests per
instance, queue wait, timeout) and the liveness probe.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import signal
import socket
from collections import deque
from pathlib import Path

from workspace.local.serving import protocol
from workspace.local.serving.http import error_body

_log = logging.getLogger("amlpilot.gateway")
RESTART_BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0)


class StartFailed(Exception):
    """An instance did not become ready; the message is one line for the deployment's status."""


class InstanceGone(Exception):
    """The worker behind an instance died or closed its socket."""


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_exception(asyncio.TimeoutError())


class Instance:
    def __init__(self, runtime: "DeploymentRuntime", index: int) -> None:
        self.runtime = runtime
        self.index = index
        self.inflight = 0
        self.alive = False
        self.proc: asyncio.subprocess.Process | None = None
        self._pending: dict[int, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._writer: asyncio.StreamWriter | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def start(self, timeout: float) -> None:
        rt = self.runtime
        parent, child = socket.socketpair()
        env = {**os.environ, **rt.launch.get("env_vars", {}), "AZUREML_MODEL_DIR": rt.launch.get("azureml_model_dir") or ""}
        plan = {**rt.launch, "deployment": rt.key}
        with open(rt.log_path, "ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                str(rt.python), "-m", "workspace.local.serving.worker", "--fd", str(child.fileno()),
                "--plan", json.dumps(plan), pass_fds=(child.fileno(),), stdin=asyncio.subprocess.DEVNULL,
                stdout=log, stderr=asyncio.subprocess.STDOUT, env=env, cwd=rt.launch.get("code_dir") or None,
            )
        child.close()
        reader, self._writer = await asyncio.open_connection(sock=parent, limit=1 << 22)
        try:
            head = await asyncio.wait_for(reader.readexactly(protocol.RESPONSE.size), timeout)
            _, length, status = protocol.RESPONSE.unpack(head)
            message = (await reader.readexactly(length)).decode(errors="replace")
        except asyncio.TimeoutError:
            self.kill()
            raise StartFailed(f"instance {self.index} was not ready within {timeout:g} s") from None
        except (asyncio.IncompleteReadError, ConnectionError):
            raise StartFailed(f"instance {self.index} exited during start-up; see the deployment log") from None
        if status != 200:
            raise StartFailed(f"instance {self.index} failed to start: {message}")
        self.alive = True
        asyncio.get_running_loop().create_task(self._read_loop(reader))

    async def request(self, body: bytes, timeout: float, kind: int = protocol.KIND_SCORE) -> tuple[int, bytes]:
        """The worker's (status, payload); ``asyncio.TimeoutError`` after ``timeout`` s, ``InstanceGone`` if it dies."""
        if not self.alive or self._writer is None:
            raise InstanceGone()
        loop = asyncio.get_running_loop()
        request_id = next(self._ids)
        future = loop.create_future()
        self._pending[request_id] = future
        # A timer, not asyncio.wait_for: wait_for costs a task per request on the hot path.
        timer = loop.call_later(timeout, _expire, future)
        self._writer.write(protocol.request_frame(request_id, body, kind))
        try:
            return await future
        finally:
            timer.cancel()
            self._pending.pop(request_id, None)

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        size = protocol.RESPONSE.size
        try:
            while True:
                request_id, length, status = protocol.RESPONSE.unpack(await reader.readexactly(size))
                payload = await reader.readexactly(length) if length else b""
                future = self._pending.get(request_id)
                if future is not None and not future.done():
                    future.set_result((status, payload))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        self.alive = False
        for future in self._pending.values():
            if not future.done():
                future.set_exception(InstanceGone())
        if self.proc is not None:
            await self.proc.wait()
        self.runtime.instance_exited(self)

    def kill(self) -> None:
        self.alive = False
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    async def stop(self, grace: float = 5.0) -> None:
        """Close the socket (the worker exits on EOF); SIGKILL it if it lingers."""
        self.alive = False
        if self._writer is not None:
            self._writer.close()
        if self.proc is not None and self.proc.returncode is None:
            try:
                await asyncio.wait_for(self.proc.wait(), grace)
            except asyncio.TimeoutError:
                self.kill()
                await self.proc.wait()


class DeploymentRuntime:
    def __init__(self, endpoint: str, name: str, digest: str, spec: dict, launch: dict, python: Path, log_path: Path) -> None:
        self.endpoint, self.name, self.digest = endpoint, name, digest
        self.key = f"{endpoint}/{name}"
        self.launch, self.python, self.log_path = launch, python, log_path
        settings = spec.get("request_settings") or {}
        self.timeout = (settings.get("request_timeout_ms") or 5000) / 1000
        self.per_instance = settings.get("max_concurrent_requests_per_instance") or 1
        self.queue_wait = (settings.get("max_queue_wait_ms") or 500) / 1000
        probe = spec.get("liveness_probe") or {}
        self.probe_period = probe.get("period") or 10
        self.probe_timeout = probe.get("timeout") or 2
        self.probe_failures = probe.get("failure_threshold") or 30
        ready = spec.get("readiness_probe") or {}
        self.ready_timeout = (ready.get("initial_delay") or 10) + (ready.get("period") or 10) * (ready.get("failure_threshold") or 30)
        self.count = int(spec.get("instance_count") or 1)
        self.instances: list[Instance] = []
        self.stopping = False
        self._waiters: deque[asyncio.Future] = deque()
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        self.instances = [Instance(self, i) for i in range(self.count)]
        results = await asyncio.gather(*(i.start(self.ready_timeout) for i in self.instances), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            await self.stop()
            raise failures[0] if isinstance(failures[0], StartFailed) else StartFailed(str(failures[0]))
        self._spawn(self._probe_loop())

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- requests ---------------------------------------------------------

    async def submit(self, body: bytes) -> tuple[int, bytes]:
        instance = self._free_instance() or await self._wait_for_instance()
        if isinstance(instance, tuple):
            return instance
        instance.inflight += 1
        try:
            return await instance.request(body, self.timeout)
        except asyncio.TimeoutError:
            return 408, error_body(f"deployment {self.name!r} did not answer within request_timeout_ms={int(self.timeout * 1000)}")
        except InstanceGone:
            return 502, error_body(f"instance {instance.index} of deployment {self.name!r} stopped while handling the request; it is being restarted")
        finally:
            instance.inflight -= 1
            self._wake_one()

    def _free_instance(self) -> Instance | None:
        best = None
        for instance in self.instances:
            if instance.alive and instance.inflight < self.per_instance and (best is None or instance.inflight < best.inflight):
                best = instance
        return best

    async def _wait_for_instance(self):
        future = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            await asyncio.wait_for(future, self.queue_wait)
        except asyncio.TimeoutError:
            if not any(i.alive for i in self.instances):
                return 503, error_body(f"no instance of deployment {self.name!r} is running (restarting); try again shortly")
            return 429, error_body(f"deployment {self.name!r} is at max_concurrent_requests_per_instance={self.per_instance}"
                                   f" and the request waited max_queue_wait_ms={int(self.queue_wait * 1000)}")
        finally:
            if future in self._waiters:
                self._waiters.remove(future)
        return self._free_instance() or await self._wait_for_instance()

    def _wake_one(self) -> None:
        while self._waiters:
            future = self._waiters.popleft()
            if not future.done():
                future.set_result(None)
                return

    @property
    def inflight(self) -> int:
        return sum(i.inflight for i in self.instances)

    # -- health -----------------------------------------------------------

    def instance_exited(self, instance: Instance) -> None:
        if self.stopping or instance not in self.instances:
            return
        _log.warning("instance %d of %s exited (code %s); restarting it", instance.index, self.key,
                     instance.proc.returncode if instance.proc else None)
        self._spawn(self._restart(instance))

    async def _restart(self, dead: Instance) -> None:
        for attempt in itertools.count():
            if self.stopping:
                return
            replacement = Instance(self, dead.index)
            try:
                await replacement.start(self.ready_timeout)
            except StartFailed as exc:
                await replacement.stop(grace=1.0)
                _log.warning("restarting instance %d of %s failed: %s", dead.index, self.key, exc)
                await asyncio.sleep(RESTART_BACKOFF[min(attempt, len(RESTART_BACKOFF) - 1)])
                continue
            if self.stopping:
                await replacement.stop()
                return
            self.instances[self.instances.index(dead)] = replacement
            for _ in range(self.per_instance):
                self._wake_one()
            return

    async def _probe_loop(self) -> None:
        failures: dict[int, int] = {}
        while not self.stopping:
            await asyncio.sleep(self.probe_period)
            for instance in list(self.instances):
                if not instance.alive:
                    continue
                try:
                    await instance.request(b"", self.probe_timeout, protocol.KIND_PING)
                    failures[id(instance)] = 0
                except (asyncio.TimeoutError, InstanceGone):
                    failures[id(instance)] = failures.get(id(instance), 0) + 1
                    if failures[id(instance)] >= self.probe_failures:
                        _log.warning("instance %d of %s failed its liveness probe %d times; killing it",
                                     instance.index, self.key, failures[id(instance)])
                        instance.kill()

    # -- stopping ---------------------------------------------------------

    async def drain_and_stop(self, timeout: float | None = None) -> None:
        """Wait for the requests already routed here, then stop: nothing in flight is dropped."""
        deadline = asyncio.get_running_loop().time() + (timeout if timeout is not None else self.timeout + 1)
        while (self.inflight or self._waiters) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        await self.stop()

    async def stop(self) -> None:
        self.stopping = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*(i.stop() for i in self.instances), return_exceptions=True)
