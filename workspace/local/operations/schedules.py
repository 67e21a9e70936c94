"""``client.schedules``: job schedules with recurrence or cron triggers, fired by the control plane.

Same names and entities as azure-ai-ml's ``ScheduleOperations``: ``JobSchedule``
with a ``RecurrenceTrigger`` or ``CronTrigger`` in, ``JobSchedule`` out. A
schedule's job is checked like a submitted job when the schedule is created;
each fire submits it afresh through ``client.jobs`` (local files are read at
that moment, ``@latest`` data resolves anew). Occurrences missed while the
control plane was down are reported on the schedule, never run late.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from workspace.errors import NotSupportedLocallyError, ResourceNotFoundError, UserInputError
from workspace.local.context import WorkspaceContext
from workspace.local.poller import LocalPoller
from workspace.local.scheduling import clock, table, triggers
from workspace.local.store import creation_context

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,254}$")
_JOB_ONLY_FIELDS = ("name", "status", "creation_context", "services", "id")
_ENGINE_PROPERTIES = ("mlflow.runId", "azureml.jobFolder", "StartTimeUtc", "EndTimeUtc", "error")


class ScheduleOperations:
    def __init__(self, ctx: WorkspaceContext) -> None:
        self._ctx = ctx
        self._store = ctx.store

    # -- azure-ai-ml surface ----------------------------------------------

    def begin_create_or_update(self, schedule: Any, **_: Any) -> LocalPoller:
        """Create (enabled) or replace a schedule; an existing one keeps its enabled state."""
        from azure.ai.ml.entities import JobSchedule

        if not isinstance(schedule, JobSchedule):
            raise NotSupportedLocallyError.field("schedule", type(schedule).__name__, "local schedules create jobs (JobSchedule)")
        name = _check_name(schedule.name)
        trigger = self._trigger(schedule)
        job, base = self._job(schedule.create_job, schedule)
        self._validate(job, base)
        spec = {"display_name": schedule.display_name, "description": schedule.description,
                "tags": dict(schedule.tags or {}), "properties": dict(schedule.properties or {}),
                "trigger": trigger, "create_job": _portable(job), "base_path": str(base)}
        existing = table.get(self._store, name)
        table.upsert(self._store, name, spec, existing.enabled if existing else True, clock.now(), self._ctx.user)
        self._ensure_controlplane()
        return LocalPoller(self.get(name))

    def get(self, name: str, **_: Any) -> Any:
        return self._to_entity(self._row(name))

    def list(self, *, list_view_type: Any = None, **_: Any) -> Iterable[Any]:
        """Enabled schedules by default, as on Azure; ``ScheduleListViewType.ALL`` or ``DISABLED_ONLY`` for others."""
        view = str(getattr(list_view_type, "value", list_view_type) or "EnabledOnly").lower()
        wanted = {"enabledonly": (True,), "disabledonly": (False,), "all": (True, False)}.get(view.replace("_", ""), (True,))
        return [self._to_entity(row) for row in table.all_rows(self._store) if row.enabled in wanted]

    def begin_enable(self, name: str, **_: Any) -> LocalPoller:
        self._row(name)
        table.set_enabled(self._store, name, True, clock.now())
        self._ensure_controlplane()
        return LocalPoller(self.get(name))

    def begin_disable(self, name: str, **_: Any) -> LocalPoller:
        self._row(name)
        table.set_enabled(self._store, name, False, clock.now())
        return LocalPoller(self.get(name))

    def begin_delete(self, name: str, **_: Any) -> LocalPoller:
        """Deletes the schedule and its fire history; jobs it submitted stay."""
        self._row(name)
        table.delete(self._store, name)
        return LocalPoller(None)

    def trigger(self, name: str, **_: Any) -> Any:
        """Submit the schedule's job now, once (the schedule must be enabled, as on Azure)."""
        from azure.ai.ml.entities._schedule.schedule import ScheduleTriggerResult

        from workspace.local.scheduling.hook import submit

        row = self._row(name)
        if not row.enabled:
            raise UserInputError.invalid("name", name, "is disabled; enable it before triggering it")
        moment = clock.now()
        while not table.claim_manual(self._store, name, moment):  # two triggers in one instant stay two fires
            moment += 0.001
        job_name = submit(self._ctx, name, moment, row.spec, "manual")
        if job_name is None:
            error = next((f["error"] for f in table.fires(self._store, name) if f["scheduled_at"] == moment), "see the schedule's fires")
            raise UserInputError.invalid("name", name, f"could not submit its job: {error}")
        return ScheduleTriggerResult(job_name=job_name, schedule_action_type="CreateJob")

    # -- local extras ---------------------------------------------------------

    def fires(self, name: str, limit: int = 50) -> list[dict]:
        """Newest first: each occurrence's scheduled time, kind, outcome (submitted, failed, missed), job, error."""
        self._row(name)
        return [{**f, "scheduled_at": _iso(f["scheduled_at"])} for f in table.fires(self._store, name, limit)]

    # -- helpers --------------------------------------------------------------

    def _row(self, name: str) -> table.ScheduleRow:
        row = table.get(self._store, name)
        if row is None:
            raise ResourceNotFoundError.of("schedule", name, known=table.names(self._store))
        return row

    def _trigger(self, schedule: Any) -> dict:
        if schedule.trigger is None:
            raise UserInputError.missing("trigger", "a RecurrenceTrigger or CronTrigger")
        trigger = dict(schedule._to_dict()["trigger"])
        pattern = {k: v for k, v in (trigger.get("schedule") or {}).items() if v not in (None, [], ())}
        trigger["schedule"] = pattern or None  # azure-ai-ml writes an empty pattern for "no pattern"
        triggers.check(trigger)
        tz = triggers.zone(trigger.get("time_zone"))
        start = triggers.parse_time(trigger.get("start_time"), tz, "trigger.start_time")
        end = triggers.parse_time(trigger.get("end_time"), tz, "trigger.end_time")
        if end is not None and end <= max(start or 0, clock.now()):
            raise UserInputError.invalid("trigger.end_time", trigger["end_time"], "is already past; the schedule would never fire")
        trigger["start"] = start if start is not None else clock.now()  # a recurrence counts its intervals from here
        return trigger

    def _job(self, create_job: Any, schedule: Any) -> tuple[Any, Path]:
        """The job entity to run and the folder its relative paths mean; a job name means a copy of that job."""
        from azure.ai.ml.entities import Command

        if isinstance(create_job, str):
            from workspace.local.operations.jobs import JobOperations

            name = create_job.removeprefix("azureml:").rstrip("/").split("/")[-1]
            try:
                return JobOperations(self._ctx).get(name), self._ctx.root
            except ResourceNotFoundError:
                raise UserInputError.invalid("create_job", create_job, "names no job of this workspace") from None
        if create_job is None:
            raise UserInputError.missing("create_job", "a job, or the name of a job to copy")
        job = create_job._to_job() if isinstance(create_job, Command) else create_job
        source = getattr(job, "_source_path", None) or getattr(schedule, "_source_path", None)
        base = Path(source).parent if source else Path(getattr(job, "_base_path", None) or Path.cwd())
        return job, base.resolve()

    def _validate(self, job: Any, base: Path) -> None:
        """Check the job as a submission would (compute, data, target column, ...), without queueing it."""
        from workspace.local.controlplane import submit

        entity, _, defaults, declared = submit.normalise(job)
        from workspace.local.controlplane import state

        referenced = lambda p: self._store.references_path(p) or state.jobs_reference_path(self._store, p)  # noqa: E731
        with self._ctx.blobstore.removing_new_uploads_on_error(referenced):
            submit.prepare(self._ctx, entity, "schedule-check", base, defaults, declared)

    def _ensure_controlplane(self) -> None:
        from workspace.local.controlplane import ensure_controlplane

        ensure_controlplane(self._ctx.root)  # the control plane fires schedules

    def _to_entity(self, row: table.ScheduleRow) -> Any:
        from azure.ai.ml.entities import JobSchedule

        from workspace.local.scheduling.hook import load_job

        spec = row.spec
        schedule = JobSchedule(
            name=row.name, trigger=_trigger_entity(spec["trigger"]), create_job=load_job(spec),
            display_name=spec.get("display_name"), description=spec.get("description"), tags=spec.get("tags") or {},
            properties={**(spec.get("properties") or {}), **self._status(row)},
        )
        schedule._is_enabled = row.enabled
        schedule._provisioning_state = "Succeeded"
        schedule._creation_context = creation_context(row.created_by, row.created_at, row.updated_at)
        return schedule

    def _status(self, row: table.ScheduleRow) -> dict:
        """What the schedule did: next and last fire, missed occurrences (stored, shown, never run)."""
        history = table.fires(self._store, row.name, limit=1000)
        fired = [f for f in history if f["outcome"] != table.MISSED]
        missed = [f for f in history if f["outcome"] == table.MISSED]
        status = {"azureml.schedule.nextFireTime": _iso(row.next_fire_at) if row.enabled else None,
                  "azureml.schedule.fires": str(len(fired)), "azureml.schedule.missedFires": str(row.missed_count)}
        if fired:
            status.update({"azureml.schedule.lastFireTime": _iso(fired[0]["scheduled_at"]),
                           "azureml.schedule.lastJob": fired[0]["job_name"] or f"(failed: {fired[0]['error']})"})
        if missed:
            status["azureml.schedule.lastMissed"] = _iso(missed[0]["scheduled_at"])
        return {k: v for k, v in status.items() if v is not None}


def _check_name(name: Any) -> str:
    if not name or not NAME.match(str(name)):
        raise UserInputError.invalid("name", name, "is not a valid schedule name: letters, digits, '-' and '_', starting with a letter or digit")
    return str(name)


def _portable(job: Any) -> dict:
    """The job as a dict to submit again: no name, status or output paths of an earlier run."""
    data = dict(job._to_dict())
    for field in _JOB_ONLY_FIELDS:
        data.pop(field, None)
    data["properties"] = {k: v for k, v in (data.get("properties") or {}).items() if k not in _ENGINE_PROPERTIES}
    data["tags"] = {k: v for k, v in (data.get("tags") or {}).items() if not k.startswith(("mlflow.", "azureml.schedule"))}
    for output in (data.get("outputs") or {}).values():
        if isinstance(output, dict):
            output.pop("path", None)  # each fire's job writes its own outputs
    return data


def _trigger_entity(trigger: dict) -> Any:
    from azure.ai.ml.entities import CronTrigger, RecurrencePattern, RecurrenceTrigger

    common = {k: trigger.get(k) for k in ("start_time", "end_time")}
    common["time_zone"] = trigger.get("time_zone") or "UTC"
    if trigger["type"] == "cron":
        return CronTrigger(expression=trigger["expression"], **common)
    pattern = trigger.get("schedule")
    return RecurrenceTrigger(frequency=trigger["frequency"], interval=int(trigger["interval"]),
                             schedule=RecurrencePattern(**pattern) if pattern else None, **common)


def _iso(moment: float | None) -> str | None:
    return datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="seconds") if moment is not None else None
