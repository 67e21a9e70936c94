"""When a RecurrenceTrigger or CronTrigger fires: occurrence times in epoch seconds.

Both are evaluated in the trigger's time zone, so "every day at 9:00" stays at
9:00 across daylight-saving changes. Azure names time zones the Windows way
("Pacific Standard Time"); the common ones map to IANA names, IANA names are
accepted as they are.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from workspace.errors import NotSupportedLocallyError, UserInputError

FREQUENCIES = ("minute", "hour", "day", "week", "month")
WEEK_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WINDOWS_ZONES = {
    "UTC": "UTC", "Coordinated Universal Time": "UTC", "GMT Standard Time": "Europe/London",
    "W. Europe Standard Time": "Europe/Berlin", "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest", "Central European Standard Time": "Europe/Warsaw",
    "E. Europe Standard Time": "Europe/Chisinau", "FLE Standard Time": "Europe/Kiev", "GTB Standard Time": "Europe/Bucharest",
    "Russian Standard Time": "Europe/Moscow", "Pacific Standard Time": "America/Los_Angeles",
    "Mountain Standard Time": "America/Denver", "US Mountain Standard Time": "America/Phoenix",
    "Central Standard Time": "America/Chicago", "Eastern Standard Time": "America/New_York",
    "Atlantic Standard Time": "America/Halifax", "Alaskan Standard Time": "America/Anchorage",
    "Hawaiian Standard Time": "Pacific/Honolulu", "E. South America Standard Time": "America/Sao_Paulo",
    "India Standard Time": "Asia/Kolkata", "China Standard Time": "Asia/Shanghai", "Tokyo Standard Time": "Asia/Tokyo",
    "Korea Standard Time": "Asia/Seoul", "Singapore Standard Time": "Asia/Singapore", "Arabian Standard Time": "Asia/Dubai",
    "AUS Eastern Standard Time": "Australia/Sydney", "New Zealand Standard Time": "Pacific/Auckland",
    "South Africa Standard Time": "Africa/Johannesburg", "Israel Standard Time": "Asia/Jerusalem",
}
_MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
_CRON_FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}), ("month", 1, 12, _MONTHS),
                ("day of week", 0, 7, _DAYS))
SEARCH_DAYS = 366 * 5  # a cron expression with no occurrence within five years (Feb 30) never fires


def zone(name: Any):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    text = str(getattr(name, "value", name) or "UTC")
    try:
        return ZoneInfo(WINDOWS_ZONES.get(text, text))
    except (ZoneInfoNotFoundError, ValueError):
        raise NotSupportedLocallyError.field("trigger.time_zone", text, "use UTC, a common Windows zone name or an IANA name like Europe/Paris") from None


def parse_time(value: Any, tz, field: str) -> float | None:
    """A trigger's start or end time (naive times are in the trigger's zone) as epoch seconds."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise UserInputError.invalid(field, value, "is not a date and time like 2025-01-31T09:00:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.timestamp()


def check(trigger: dict) -> None:
    """Refuse what can never fire, naming the field."""
    zone(trigger.get("time_zone"))
    if trigger["type"] == "cron":
        parse_cron(trigger.get("expression") or "")
        return
    frequency = str(trigger.get("frequency") or "").lower()
    if frequency not in FREQUENCIES:
        raise UserInputError.invalid("trigger.frequency", trigger.get("frequency"), f"is not one of {', '.join(FREQUENCIES)}")
    if int(trigger.get("interval") or 0) < 1:
        raise UserInputError.invalid("trigger.interval", trigger.get("interval"), "must be at least 1")
    pattern = trigger.get("schedule") or {}
    if pattern and frequency in ("minute", "hour"):
        raise UserInputError.invalid("trigger.schedule", pattern, f"applies to day, week and month frequencies, not {frequency}")
    for day in _as_list(pattern.get("week_days")):
        if str(day).lower() not in WEEK_DAYS:
            raise UserInputError.invalid("trigger.schedule.week_days", day, f"is not one of {', '.join(WEEK_DAYS)}")


def occurrences(trigger: dict, after: float, until: float, limit: int = 100_000) -> list[float]:
    """Fire times t with after < t <= until, oldest first."""
    if trigger["type"] != "cron":
        tz = zone(trigger.get("time_zone"))
        end = parse_time(trigger.get("end_time"), tz, "trigger.end_time")
        start = trigger.get("start")
        after = max(after, start - 1e-6) if start is not None else after
        times = [t for t in _recurrence(trigger, after, until, tz) if end is None or t <= end]
        return times[:limit]
    times, moment = [], after
    while len(times) < limit:
        moment = next_after(trigger, moment)
        if moment is None or moment > until:
            break
        times.append(moment)
    return times


def next_after(trigger: dict, after: float) -> float | None:
    """The first fire time strictly after ``after``; None once the trigger has ended."""
    tz = zone(trigger.get("time_zone"))
    start, end = trigger.get("start"), parse_time(trigger.get("end_time"), tz, "trigger.end_time")
    after = max(after, start - 1e-6) if start is not None else after
    moment = _next_cron(trigger["expression"], after, tz) if trigger["type"] == "cron" else _next_recurrence(trigger, after, tz)
    if moment is None or (end is not None and moment > end):
        return None
    return moment


def _next_recurrence(trigger: dict, after: float, tz) -> float | None:
    moment = _rule(trigger, after, tz).after(datetime.fromtimestamp(after, tz))
    return moment.timestamp() if moment else None


def _recurrence(trigger: dict, after: float, until: float, tz) -> list[float]:
    rule = _rule(trigger, after, tz)
    return [m.timestamp() for m in rule.between(datetime.fromtimestamp(after, tz), datetime.fromtimestamp(until, tz), inc=True)
            if m.timestamp() > after]


_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}


def _rule(trigger: dict, after: float, tz):
    """The dateutil rule, its start moved forward by whole intervals to just before ``after``.

    rrule walks from its start on every query: a per-minute schedule started a
    year ago would take half a million steps per tick otherwise.
    """
    from dateutil import rrule

    frequency = str(trigger["frequency"]).lower()
    interval, start = int(trigger["interval"]), datetime.fromtimestamp(trigger["start"], tz)
    unit = _UNITS.get(frequency)
    if unit is not None and after > trigger["start"]:
        period = unit * interval
        skipped = int((datetime.fromtimestamp(after, tz).replace(tzinfo=None) - start.replace(tzinfo=None)) / period) - 1
        if skipped > 0:  # wall-clock arithmetic: days and weeks keep their local time across DST
            start = (start + period * skipped) if frequency in ("day", "week") else datetime.fromtimestamp(start.timestamp() + (period * skipped).total_seconds(), tz)
    pattern = trigger.get("schedule") or {}
    rule: dict[str, Any] = {"dtstart": start, "interval": interval}
    if pattern:
        rule.update(byhour=_as_list(pattern.get("hours")) or None, byminute=_as_list(pattern.get("minutes")) or None, bysecond=0)
        days = [getattr(rrule, str(d)[:2].upper()) for d in _as_list(pattern.get("week_days"))]
        if days:
            rule["byweekday"] = days
        if pattern.get("month_days"):
            rule["bymonthday"] = _as_list(pattern["month_days"])
    frequencies = {"minute": rrule.MINUTELY, "hour": rrule.HOURLY, "day": rrule.DAILY, "week": rrule.WEEKLY, "month": rrule.MONTHLY}
    return rrule.rrule(frequencies[frequency], **rule)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


# -- cron ----------------------------------------------------------------------


def parse_cron(expression: str) -> list[set[int]]:
    """Five crontab fields -> the allowed values of each; one error line naming the bad field."""
    fields = str(expression).split()
    if len(fields) != 5:
        raise UserInputError.invalid("trigger.expression", expression, "needs five fields: minute hour day-of-month month day-of-week")
    return [_cron_field(text, *spec, expression) for text, spec in zip(fields, _CRON_FIELDS)]


def _cron_field(text: str, name: str, low: int, high: int, names: dict, expression: str) -> set[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        match = re.fullmatch(r"(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(\d+))?", part)
        if not match:
            raise UserInputError.invalid("trigger.expression", expression, f"has a bad {name} field ({text!r})")
        span, step = match[1], int(match[2] or 1)
        if span == "*":
            first, last = low, high
        else:
            bounds = [_cron_value(v, names, name, expression) for v in span.split("-")]
            first, last = bounds[0], bounds[-1] if len(bounds) > 1 else (high if match[2] else bounds[0])
        if not (low <= first <= last <= high) or step < 1:
            raise UserInputError.invalid("trigger.expression", expression, f"has a {name} out of range {low}-{high} ({text!r})")
        values.update(range(first, last + 1, step))
    if name == "day of week" and 7 in values:
        values = (values - {7}) | {0}  # 7 and 0 both mean Sunday
    return values


def _cron_value(text: str, names: dict, field: str, expression: str) -> int:
    if text in names:
        return names[text]
    if not text.isdigit():
        raise UserInputError.invalid("trigger.expression", expression, f"has a bad {field} value ({text!r})")
    return int(text)


def _next_cron(expression: str, after: float, tz) -> float | None:
    minutes, hours, month_days, months, week_days = parse_cron(expression)
    restricted_dom, restricted_dow = len(month_days) < 31, len(week_days) < 7
    start = datetime.fromtimestamp(after, tz).replace(second=0, microsecond=0) + timedelta(minutes=1)
    day = start.replace(hour=0, minute=0)
    for _ in range(SEARCH_DAYS):
        if day.month in months and _day_matches(day, month_days, week_days, restricted_dom, restricted_dow):
            for hour in sorted(hours):
                for minute in sorted(minutes):
                    moment = _wall_time(day, hour, minute, tz)
                    if moment is not None and moment >= start.astimezone(timezone.utc).timestamp():
                        return moment
        day = (day + timedelta(days=1)).replace(hour=0, minute=0)
    return None


def _day_matches(day: datetime, month_days: set, week_days: set, restricted_dom: bool, restricted_dow: bool) -> bool:
    dom, dow = day.day in month_days, (day.weekday() + 1) % 7 in week_days
    if restricted_dom and restricted_dow:
        return dom or dow  # crontab: either restriction may match
    return dom and dow


def _wall_time(day: datetime, hour: int, minute: int, tz) -> float | None:
    """A local time that a DST gap skips doesn't happen; a repeated one happens once (its first instance)."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
    round_trip = datetime.fromtimestamp(local.timestamp(), tz)
    if (round_trip.hour, round_trip.minute) != (hour, minute):
        return None
    return local.timestamp()
