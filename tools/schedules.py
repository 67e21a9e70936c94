"""schedules-*: run a job on a recurrence or cron schedule: list, show, create, enable, disable, trigger, delete.

A schedule copies an existing job (by name) or a job YAML file; each fire
submits a new job. Occurrences missed while the workspace's control plane was
down are reported on the schedule, never run late.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import ML, Plan, ToolCall, ToolPlugin, one_of, tool
from workspace.errors import UserInputError

READ, WRITE, DELETE = f"{ML}/schedules/read", f"{ML}/schedules/write", f"{ML}/schedules/delete"
FREQUENCIES = ("minute", "hour", "day", "week", "month")
WEEK_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

ScheduleName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$"), "Name of the schedule"]


def schedule_summary(schedule: Any) -> dict:
    trigger = schedule.trigger
    props = dict(schedule.properties or {})
    kind = type(trigger).__name__
    if kind == "CronTrigger":
        when = f"cron {trigger.expression}"
    else:
        pattern = trigger.schedule
        when = f"every {trigger.interval} {trigger.frequency}(s)"
        if pattern is not None and (pattern.hours or pattern.minutes or pattern.week_days):
            when += f" at hours {pattern.hours} minutes {pattern.minutes}" + (f" on {', '.join(pattern.week_days)}" if pattern.week_days else "")
    job = schedule.create_job
    return {k: v for k, v in {
        "name": schedule.name, "enabled": bool(schedule.is_enabled), "trigger": when,
        "time_zone": str(getattr(trigger.time_zone, "value", trigger.time_zone)),
        "job": f"{getattr(job, 'type', 'job')} job" + (f" ({job.display_name})" if getattr(job, "display_name", None) else ""),
        "next_fire": props.get("azureml.schedule.nextFireTime"), "last_fire": props.get("azureml.schedule.lastFireTime"),
        "last_job": props.get("azureml.schedule.lastJob"), "fires": int(props.get("azureml.schedule.fires", 0)),
        "missed_fires": int(props.get("azureml.schedule.missedFires", 0)), "last_missed": props.get("azureml.schedule.lastMissed"),
        "description": schedule.description,
    }.items() if v is not None}


class SchedulesPlugin(ToolPlugin):
    plugin_name = "schedules"
    description = "Schedules: run a job again and again on a recurrence or cron trigger; see what fired and what was missed."

    def _get(self, name: str) -> Any:
        return self.client.schedules.get(name)

    @tool(effect="read", permission=READ, examples=[
        "what schedules do I have?", "list my schedules", "which jobs run nightly?", "show disabled schedules too",
        "list recurring jobs",
    ])
    def list(self, include_disabled: Annotated[bool, "Also list disabled schedules"] = True) -> list[dict]:
        """List schedules with their trigger, next and last fire, and missed fires."""
        view = "All" if include_disabled else "EnabledOnly"  # ScheduleListViewType's values (a str enum)
        return [schedule_summary(s) for s in self.client.schedules.list(list_view_type=view)]

    @tool(effect="read", permission=READ, examples=[
        "show schedule nightly-train", "when does nightly-train fire next?", "did nightly-train miss any runs?",
        "what did my schedule submit?", "details of schedule weekly-report",
    ])
    def get(self, name: ScheduleName) -> dict:
        """Show one schedule: trigger, state, next and last fire, and its recent fires (submitted, failed or missed)."""
        summary = schedule_summary(self._get(name))
        fires = getattr(self.client.schedules, "fires", None)  # the local workspace keeps each fire
        if fires is not None:
            summary["recent_fires"] = fires(name, limit=10)
        return summary

    @tool(effect="write", permission=WRITE, examples=[
        "run job sleepy_cat_123 every day at 2am", "schedule ./train-job.yml every hour", "retrain weekly on mondays at 9:00",
        "create schedule nightly-train with cron 0 2 * * *", "run my automl job every 6 hours", "schedule job.yml every 15 minutes",
    ])
    def create(
        self, name: ScheduleName,
        job_name: Annotated[str | None, Field(max_length=255), "An existing job to run again on each fire"] = None,
        job_file: Annotated[str | None, Field(max_length=2048), "A job YAML file to submit on each fire (instead of job_name)"] = None,
        frequency: Annotated[Literal[FREQUENCIES] | None, one_of(*FREQUENCIES), "Recurrence: minute, hour, day, week or month"] = None,
        interval: Annotated[int, Field(ge=1, le=1000), "Recurrence: every this many frequency units"] = 1,
        hours: Annotated[list[Annotated[int, Field(ge=0, le=23)]] | None, Field(max_length=24), "Recurrence (day/week/month): hours to fire at"] = None,
        minutes: Annotated[list[Annotated[int, Field(ge=0, le=59)]] | None, Field(max_length=60), "Recurrence (day/week/month): minutes to fire at"] = None,
        week_days: Annotated[list[Annotated[Literal[WEEK_DAYS], one_of(*WEEK_DAYS)]] | None, Field(max_length=7), "Recurrence (week): days, e.g. monday"] = None,
        cron: Annotated[str | None, Field(max_length=100), "A crontab expression instead of a recurrence, e.g. 0 2 * * *"] = None,
        start_time: Annotated[str | None, Field(max_length=40), "When the schedule starts, e.g. 2025-01-31T09:00:00; omit for now"] = None,
        time_zone: Annotated[str, Field(max_length=64), "Time zone: UTC, a Windows name (Pacific Standard Time) or an IANA name"] = "UTC",
    ) -> dict:
        """Create a schedule that submits a copy of an existing job, or a job YAML file, on a recurrence (frequency + interval) or a cron expression."""
        plan = self.preview_create(name, job_name, job_file, frequency, interval, hours, minutes, week_days, cron, start_time, time_zone)
        created = self.client.schedules.begin_create_or_update(self._entity(plan.desired)).result()
        return {"status": "created", "schedule": schedule_summary(created), "summary": plan.summary}

    def preview_create(self, name: ScheduleName, job_name: str | None = None, job_file: str | None = None,
                       frequency: str | None = None, interval: int = 1, hours: list | None = None, minutes: list | None = None,
                       week_days: list | None = None, cron: str | None = None, start_time: str | None = None,
                       time_zone: str = "UTC") -> Plan:
        from tools.assets import not_found_errors
        from workspace.local.scheduling import triggers

        try:
            existing = self._get(name)
        except not_found_errors():
            existing = None
        if existing is not None:
            raise UserInputError.invalid("name", name, "is already a schedule; delete it first or pick another name")
        if (job_name is None) == (job_file is None):
            raise UserInputError.missing("job_name", "give job_name (an existing job) or job_file (a job YAML), not both")
        if (frequency is None) == (cron is None):
            raise UserInputError.missing("frequency", "give a frequency (with interval) or a cron expression, not both")
        pattern = {k: v for k, v in (("hours", hours), ("minutes", minutes), ("week_days", week_days)) if v}
        if pattern:
            pattern = {"hours": hours or [0], "minutes": minutes or [0], **({"week_days": week_days} if week_days else {})}
        trigger = {"type": "cron", "expression": cron} if cron else {"type": "recurrence", "frequency": frequency, "interval": interval, "schedule": pattern or None}
        triggers.check({**trigger, "time_zone": time_zone})
        job_text = self._check_job(job_name, job_file)
        when = f"cron {cron}" if cron else f"every {interval} {frequency}(s)" + (f" at {pattern}" if pattern else "")
        desired = {"name": name, "job_name": job_name, "job_file": job_file, "trigger": trigger, "start_time": start_time, "time_zone": time_zone}
        return Plan(action="create schedule", target=f"schedule/{name}", current=None, desired=desired,
                    summary=f"schedule {name}: absent -> {job_text} {when} ({time_zone})", resource_name=name,
                    inverse=ToolCall(tool="schedules-delete", arguments={"name": name}))

    def _check_job(self, job_name: str | None, job_file: str | None) -> str:
        if job_name is not None:
            job = self.client.jobs.get(job_name)
            return f"a copy of {job.type} job {job_name}"
        if not Path(job_file).expanduser().is_file():
            raise UserInputError.missing_path("job_file", job_file)
        from workspace.loaders import entity_kind, load_entity

        if entity_kind(load_entity(Path(job_file).expanduser())) != "job":
            raise UserInputError.invalid("job_file", job_file, "is not a job YAML")
        return f"the job in {job_file}"

    def _entity(self, desired: dict) -> Any:
        from azure.ai.ml.entities import CronTrigger, JobSchedule, RecurrencePattern, RecurrenceTrigger

        from workspace.loaders import load_entity

        trigger = desired["trigger"]
        common = {"start_time": desired["start_time"], "time_zone": desired["time_zone"]}
        if trigger["type"] == "cron":
            entity_trigger = CronTrigger(expression=trigger["expression"], **common)
        else:
            pattern = RecurrencePattern(**trigger["schedule"]) if trigger["schedule"] else None
            entity_trigger = RecurrenceTrigger(frequency=trigger["frequency"], interval=trigger["interval"], schedule=pattern, **common)
        job = f"azureml:{desired['job_name']}" if desired["job_name"] else load_entity(Path(desired["job_file"]).expanduser())
        return JobSchedule(name=desired["name"], trigger=entity_trigger, create_job=job)

    @tool(effect="write", permission=WRITE, examples=[
        "enable schedule nightly-train", "turn nightly-train back on", "resume the weekly schedule", "reactivate weekly-report",
        "start schedule nightly-train again",
    ])
    def enable(self, name: ScheduleName) -> dict:
        """Enable a disabled schedule; it fires from its next occurrence on (occurrences while disabled are not run)."""
        return self._switch(self.preview_enable(name), self.client.schedules.begin_enable)

    def preview_enable(self, name: ScheduleName) -> Plan:
        return self._switch_plan(name, True)

    @tool(effect="write", permission=WRITE, examples=[
        "disable schedule nightly-train", "pause the nightly schedule", "stop nightly-train from firing", "turn off weekly-report",
        "suspend schedule nightly-train",
    ])
    def disable(self, name: ScheduleName) -> dict:
        """Disable a schedule so it stops submitting jobs until enabled again; jobs already submitted carry on."""
        return self._switch(self.preview_disable(name), self.client.schedules.begin_disable)

    def preview_disable(self, name: ScheduleName) -> Plan:
        return self._switch_plan(name, False)

    def _switch_plan(self, name: str, enabled: bool) -> Plan:
        current = schedule_summary(self._get(name))
        same = current["enabled"] == enabled
        words = {True: "enabled", False: "disabled"}
        return Plan(action=f"{'enable' if enabled else 'disable'} schedule", target=f"schedule/{name}", current=current,
                    desired={**current, "enabled": enabled}, summary=f"schedule {name}: {words[current['enabled']]} -> {words[enabled]}",
                    resource_name=name, warnings=[f"{name} is already {words[enabled]}"] if same else [],
                    inverse=None if same else ToolCall(tool=f"schedules-{'disable' if enabled else 'enable'}", arguments={"name": name}))

    def _switch(self, plan: Plan, operation) -> dict:
        updated = operation(plan.resource_name).result()
        return {"status": "enabled" if updated.is_enabled else "disabled", "schedule": schedule_summary(updated), "summary": plan.summary}

    @tool(effect="write", permission=WRITE, examples=[
        "trigger nightly-train now", "run schedule nightly-train once right away", "fire weekly-report now",
        "kick off the nightly job now", "run the scheduled job immediately",
    ])
    def trigger(self, name: ScheduleName) -> dict:
        """Fire an enabled schedule once now: submit its job immediately, without changing its trigger."""
        plan = self.preview_trigger(name)
        result = self.client.schedules.trigger(name)
        return {"status": "submitted", "job_name": result.job_name, "summary": plan.summary}

    def preview_trigger(self, name: ScheduleName) -> Plan:
        current = schedule_summary(self._get(name))
        if not current["enabled"]:
            raise UserInputError.invalid("name", name, "is disabled; enable it before triggering it")
        return Plan(action="trigger schedule", target=f"schedule/{name}", current=current, desired=current,
                    summary=f"schedule {name}: submit its {current['job']} now", resource_name=name)

    @tool(effect="destructive", permission=DELETE, resource_arg="name", examples=[
        "delete schedule nightly-train", "remove the weekly schedule", "I don't need nightly-train anymore",
        "get rid of schedule weekly-report", "drop schedule nightly-train",
    ])
    def delete(self, name: ScheduleName) -> dict:
        """Delete a schedule and its fire history; the jobs it already submitted stay."""
        plan = self.preview_delete(name)
        self.client.schedules.begin_delete(name).result()
        return {"status": "deleted", "name": name, "summary": plan.summary}

    def preview_delete(self, name: ScheduleName) -> Plan:
        current = schedule_summary(self._get(name))
        return Plan(action="delete schedule", target=f"schedule/{name}", current=current, desired=None,
                    summary=f"schedule {name}: {current['trigger']} -> absent", resource_name=name,
                    warnings=["its fire history goes too; undo can't recreate it"])
