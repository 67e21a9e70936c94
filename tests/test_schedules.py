"""Schedules: trigger arithmetic, once-only firing in SQLite, and real fires by the control plane on a fast clock."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from test_jobs_support import curated, jobs_client, mlflow_db_template, wait_for, wait_status  # noqa: F401  (fixtures)
from workspace.errors import ResourceNotFoundError, UserInputError
from workspace.local.scheduling import clock, table, triggers

T0 = datetime(2025, 3, 1, 0, 0, 30, tzinfo=timezone.utc).timestamp()  # a Saturday
MINUTE = 60.0


def _utc(moments):
    return [datetime.fromtimestamp(m, timezone.utc).strftime("%a %m-%d %H:%M") for m in moments]


# -- trigger arithmetic --------------------------------------------------------------------------


def test_recurrence_with_a_pattern_keeps_local_time_across_daylight_saving():
    weekly = {"type": "recurrence", "frequency": "week", "interval": 1, "start": T0, "time_zone": "Pacific Standard Time",
              "schedule": {"hours": [9], "minutes": [0], "week_days": ["monday"]}}
    fires = triggers.occurrences(weekly, T0, T0 + 21 * 86400)
    assert _utc(fires) == ["Mon 03-03 17:00", "Mon 03-10 16:00", "Mon 03-17 16:00"]  # DST began on March 9


def test_recurrence_every_seven_minutes_stays_aligned_a_year_later_and_is_fast():
    every7 = {"type": "recurrence", "frequency": "minute", "interval": 7, "start": T0}
    later = T0 + 365 * 86400 + 123
    started = time.perf_counter()
    fires = triggers.occurrences(every7, later, later + 3600)
    assert time.perf_counter() - started < 0.5
    assert len(fires) in (8, 9) and all((f - T0) % (7 * MINUTE) == 0 for f in fires)
    assert triggers.next_after(every7, fires[0]) == fires[1]


def test_cron_expressions_follow_crontab():
    office = {"type": "cron", "expression": "*/20 9-10 * * mon-fri", "start": T0, "time_zone": "UTC"}
    assert _utc(triggers.occurrences(office, T0, T0 + 3 * 86400)) == [
        "Mon 03-03 09:00", "Mon 03-03 09:20", "Mon 03-03 09:40", "Mon 03-03 10:00", "Mon 03-03 10:20", "Mon 03-03 10:40"]
    either = {"type": "cron", "expression": "0 12 1 * sun", "start": T0}  # day of month OR day of week, as cron does
    assert _utc(triggers.occurrences(either, T0, T0 + 10 * 86400)) == ["Sat 03-01 12:00", "Sun 03-02 12:00", "Sun 03-09 12:00"]
    assert triggers.next_after({"type": "cron", "expression": "0 0 30 2 *", "start": T0}, T0) is None


@pytest.mark.parametrize("trigger,message", [
    ({"type": "cron", "expression": "* * *"}, "needs five fields"),
    ({"type": "cron", "expression": "0 25 * * *"}, "has a hour out of range 0-23"),
    ({"type": "recurrence", "frequency": "fortnight", "interval": 1}, "trigger.frequency: 'fortnight' is not one of"),
    ({"type": "recurrence", "frequency": "hour", "interval": 1, "schedule": {"hours": [1]}}, "applies to day, week and month"),
    ({"type": "recurrence", "frequency": "day", "interval": 1, "time_zone": "Mars Standard Time"}, "trigger.time_zone: 'Mars Standard Time'"),
])
def test_bad_triggers_are_refused_naming_the_field(trigger, message):
    with pytest.raises(UserInputError, match=message):
        triggers.check(trigger)


# -- once only ---------------------------------------------------------------------------------------


def test_an_occurrence_fires_once_and_a_downtime_is_reported_as_missed(client):
    store = client._ctx.store
    table.ensure_schema(store)
    spec = {"trigger": {"type": "recurrence", "frequency": "minute", "interval": 1, "start": T0}, "create_job": {}}
    table.upsert(store, "every-minute", spec, True, T0, "tester")
    assert table.settle_due(store, T0 + 30) == []  # nothing due yet
    first = table.settle_due(store, T0 + MINUTE + 1)
    assert [c.scheduled_at for c in first] == [T0 + MINUTE]
    assert table.settle_due(store, T0 + MINUTE + 2) == []  # the same occurrence is never claimed again
    down_until = T0 + 10 * MINUTE + 30  # the control plane was down; the 10-minute occurrence is 30 s late
    claims = table.settle_due(store, down_until)
    assert [c.scheduled_at for c in claims] == [T0 + 10 * MINUTE]
    history = table.fires(store, "every-minute")
    assert sorted(f["scheduled_at"] for f in history if f["outcome"] == table.MISSED) == [T0 + k * MINUTE for k in range(2, 10)]
    assert table.get(store, "every-minute").missed_count == 8
    assert table.abandon_unfinished(store) == 2  # claimed but never submitted (no daemon here): failed, not retried
    assert {f["outcome"] for f in table.fires(store, "every-minute")} == {table.FAILED, table.MISSED}


# -- the client and the control plane ----------------------------------------------------------------


def _hello(tmp_path):
    from azure.ai.ml import command

    return command(command="echo scheduled hello", environment=curated(), experiment_name="schedules")


def _schedule(name, job, **trigger):
    from azure.ai.ml.entities import CronTrigger, JobSchedule, RecurrenceTrigger

    made = CronTrigger(**trigger) if "expression" in trigger else RecurrenceTrigger(**trigger)
    return JobSchedule(name=name, trigger=made, create_job=job)


def _scheduled_jobs(client, name):
    return [j for j in client.jobs.list() if (j.tags or {}).get("azureml.schedule") == name]


def test_a_recurrence_fires_twice_and_missed_fires_are_reported_never_run(jobs_client, tmp_path, monkeypatch):
    from workspace.local.controlplane import ensure_controlplane, stop_controlplane

    start = time.time()
    monkeypatch.setenv(clock.ENV, clock.setting(origin=start, scale=20))  # a minute every 3 s, here and in the control plane
    created = jobs_client.schedules.begin_create_or_update(
        _schedule("every-minute", _hello(tmp_path), frequency="minute", interval=1)).result()
    assert created.is_enabled and created.properties["azureml.schedule.fires"] == "0"

    fired = wait_for(lambda: _submitted(jobs_client) if len(_submitted(jobs_client)) >= 2 else None, 60, "two fires")
    for fire in fired[:2]:
        wait_status(jobs_client, fire["job_name"], "Completed")
    stop_controlplane(jobs_client.root)
    before = {f["scheduled_at"]: f["job_name"] for f in _submitted(jobs_client)}

    # Ten scheduler minutes pass while the control plane is down, ending 20 s past an occurrence.
    now = clock.now()
    gap_end = now + 10 * MINUTE
    monkeypatch.setenv(clock.ENV, clock.setting(origin=gap_end, scale=20))
    ensure_controlplane(jobs_client.root)
    schedule = wait_for(lambda: _with_missed(jobs_client), 30, "missed fires to be reported")
    assert int(schedule.properties["azureml.schedule.missedFires"]) >= 8
    after = {f["scheduled_at"]: f["job_name"] for f in _submitted(jobs_client)}
    assert all(after[k] == v for k, v in before.items())  # what ran before the stop did not run again
    jobs = _scheduled_jobs(jobs_client, "every-minute")
    assert len(jobs) == len({j.tags["azureml.scheduledTime"] for j in jobs})  # one job per occurrence
    assert {j.creation_context.created_by for j in jobs} == {"tester"}  # the schedule's creator, not the daemon's account
    missed = [f for f in jobs_client.schedules.fires("every-minute", limit=100) if f["outcome"] == "missed"]
    assert missed and all(f["job_name"] is None for f in missed)


def _submitted(client):
    return sorted((f for f in client.schedules.fires("every-minute", limit=100) if f["outcome"] == "submitted"),
                  key=lambda f: f["scheduled_at"])


def _with_missed(client):
    schedule = client.schedules.get("every-minute")
    return schedule if int(schedule.properties["azureml.schedule.missedFires"]) > 0 else None


def test_create_enable_disable_trigger_and_delete(jobs_client, tmp_path):
    schedule = _schedule("nightly", _hello(tmp_path), expression="0 2 * * *", time_zone="W. Europe Standard Time")
    stored = jobs_client.schedules.begin_create_or_update(schedule).result()
    assert stored.trigger.expression == "0 2 * * *" and stored.create_job.command == "echo scheduled hello"
    next_fire = datetime.fromisoformat(stored.properties["azureml.schedule.nextFireTime"])
    assert next_fire.astimezone(triggers.zone("Europe/Berlin")).strftime("%H:%M") == "02:00"

    assert not jobs_client.schedules.begin_disable("nightly").result().is_enabled
    assert [s.name for s in jobs_client.schedules.list()] == []
    assert [s.name for s in jobs_client.schedules.list(list_view_type="DisabledOnly")] == ["nightly"]
    with pytest.raises(UserInputError, match="is disabled; enable it before triggering it"):
        jobs_client.schedules.trigger("nightly")
    assert jobs_client.schedules.begin_enable("nightly").result().is_enabled
    result = jobs_client.schedules.trigger("nightly")
    job = wait_status(jobs_client, result.job_name, "Completed")
    assert job.tags["azureml.schedule"] == "nightly" and job.tags["azureml.scheduleFire"] == "manual"
    assert jobs_client.schedules.get("nightly").properties["azureml.schedule.lastJob"] == result.job_name

    copy = jobs_client.schedules.begin_create_or_update(_schedule("copy", f"azureml:{result.job_name}", frequency="day", interval=1)).result()
    assert copy.create_job.command == "echo scheduled hello" and copy.create_job.name is None

    jobs_client.schedules.begin_delete("nightly").result()
    with pytest.raises(ResourceNotFoundError, match="schedule: 'nightly' was not found in this workspace \\(known: copy\\)"):
        jobs_client.schedules.get("nightly")
    assert jobs_client.jobs.get(result.job_name).status == "Completed"  # its jobs stay


@pytest.mark.parametrize("make,message", [
    (lambda tmp: _schedule("s", "azureml:no-such-job", frequency="day", interval=1), "create_job: 'azureml:no-such-job' names no job"),
    (lambda tmp: _schedule("s", _hello(tmp), expression="61 * * * *"), "trigger.expression: '61 \\* \\* \\* \\*' has a minute out of range"),
    (lambda tmp: _schedule("s", _hello(tmp), frequency="day", interval=1, end_time="2020-01-01T00:00:00"), "trigger.end_time: '2020-01-01T00:00:00' is already past"),
    (lambda tmp: _schedule("bad name!", _hello(tmp), frequency="day", interval=1), "name: 'bad name!' is not a valid schedule name"),
])
def test_bad_schedules_are_refused_and_nothing_is_stored(client, tmp_path, make, message):
    with pytest.raises(UserInputError, match=message):
        client.schedules.begin_create_or_update(make(tmp_path))
    assert table.names(client._ctx.store) == []


def test_a_schedule_yaml_applies(client, tmp_path):
    from workspace.loaders import apply_entity, load_entity

    (tmp_path / "job.yml").write_text(f"command: echo from yaml\nenvironment: {curated()}\n")
    (tmp_path / "schedule.yml").write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json\nname: from-yaml\n"
        "trigger:\n  type: recurrence\n  frequency: week\n  interval: 1\n  schedule:\n    hours: [8]\n    minutes: [30]\n"
        "    week_days: [friday]\ncreate_job: ./job.yml\n")
    try:
        stored = apply_entity(client, load_entity(tmp_path / "schedule.yml"))
    finally:
        from test_jobs_support import stop_all

        stop_all(client.root)
    assert stored.name == "from-yaml" and stored.create_job.command == "echo from yaml"
    assert datetime.fromisoformat(stored.properties["azureml.schedule.nextFireTime"]).strftime("%a %H:%M") == "Fri 08:30"
