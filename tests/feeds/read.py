"""Reads a Rally server's feeds with independent parsers, for the end-to-end
tests: `read.py ics FILE` prints each event's UID, summary, start and end as
UTC instants (resolved by the `icalendar` package from the file's own
VTIMEZONE, not the zone database), `read.py occurrences FILE FROM TO` each
occurrence of the file's events between two dates as `recurring-ical-events`
expands them (RRULE, EXDATE, RECURRENCE-ID), `read.py atom FILE` each entry's
id, title and link (`feedparser`). JSON on stdout; a file that does not parse
exits 1."""

import json
import sys


def ics(path):
    import icalendar
    from datetime import timezone

    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    zones = {}
    for tz in cal.walk("VTIMEZONE"):
        zones[str(tz["TZID"])] = tz.to_tz(lookup_tzid=False)
    out = []
    for ev in cal.walk("VEVENT"):
        def utc(prop):
            if prop not in ev:
                return None
            v = ev[prop]
            dt = v.dt
            tzid = v.params.get("TZID")
            if tzid:
                # From the file's VTIMEZONE, as a reader without a zone database would.
                dt = dt.replace(tzinfo=None)
                dt = zones[tzid].localize(dt) if hasattr(zones[tzid], "localize") else dt.replace(tzinfo=zones[tzid])
            return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

        out.append({
            "uid": str(ev["UID"]),
            "summary": str(ev["SUMMARY"]),
            "start": utc("DTSTART"),
            "end": utc("DTEND"),
            "tzid": ev["DTSTART"].params.get("TZID"),
            "location": str(ev.get("LOCATION", "")),
            "url": str(ev.get("URL", "")),
        })
    return {"name": str(cal.get("NAME", "")), "events": out, "zones": sorted(zones)}


def occurrences(path, start, end):
    import icalendar
    import recurring_ical_events
    from datetime import date, timezone

    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    out = []
    for ev in recurring_ical_events.of(cal).between(date.fromisoformat(start), date.fromisoformat(end)):
        def utc(prop):
            return ev[prop].dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if prop in ev else None

        out.append({
            "uid": str(ev["UID"]),
            "summary": str(ev["SUMMARY"]),
            "start": utc("DTSTART"),
            "end": utc("DTEND"),
            "location": str(ev.get("LOCATION", "")),
        })
    out.sort(key=lambda o: o["start"])
    return out


def atom(path):
    import feedparser

    with open(path, "rb") as f:
        feed = feedparser.parse(f.read())
    if feed.bozo:
        print(f"not a valid feed: {feed.bozo_exception}", file=sys.stderr)
        sys.exit(1)
    return {
        "title": feed.feed.get("title"),
        "version": feed.version,
        "entries": [
            {"id": e.get("id"), "title": e.get("title"), "link": e.get("link"), "content": (e.get("content") or [{}])[0].get("value", "")}
            for e in feed.entries
        ],
    }


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "occurrences":
        print(json.dumps(occurrences(path, sys.argv[3], sys.argv[4])))
    else:
        print(json.dumps(ics(path) if kind == "ics" else atom(path)))
