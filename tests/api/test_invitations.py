"""Calendar invitations (.ics): both partners of a pair get one meeting series — the same UID and the same
instants for every week of the round, across clock changes in New York, Paris and Singapore — with
ORGANIZER, ATTENDEE, a VTIMEZONE for each TZID used and skill names instead of slugs. Both invitations
are expanded over the whole round with a real iCalendar library (icalendar + recurring_ical_events)."""

import datetime as dt
import uuid
import zoneinfo

import icalendar
import pytest
import recurring_ical_events

from conftest import wait_round

# Spring to autumn: the US changes clocks on 2027-03-14 and 2027-11-07, the EU on 2027-03-28 and
# 2027-10-31, Singapore never.
STARTS_ON = dt.date(2027, 3, 1)
ENDS_ON = dt.date(2027, 11, 28)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# (manager zone, manager's weekly window, mentor zone, mentor's weekly window). Each pair keeps a
# common hour in every week only if the meeting is anchored in one zone, and the local day differs
# for New York / Singapore (Sunday 17:00 in New York is Monday 05:00 or 06:00 in Singapore).
CASES = {
    "new_york_paris": ("America/New_York", ("mon", "09:00", "12:00"), "Europe/Paris", ("mon", "14:00", "19:00")),
    "singapore_paris": ("Asia/Singapore", ("mon", "20:00", "23:00"), "Europe/Paris", ("mon", "13:00", "17:00")),
    "new_york_singapore": ("America/New_York", ("sun", "17:00", "19:00"), "Asia/Singapore", ("mon", "05:00", "08:00")),
}


def signup(api, tag, role, zone, window, dept):
    r = api.post("/v1/employees", {"email": f"{role}-{tag}@example.com", "display_name": f"{role.title()} {tag}",
                                   "department": dept, "site": f"Site-{tag}-{role}", "timezone": zone,
                                   "languages": ["en"], "role": role})
    assert r.status == 201, r
    token = r.body["token"]
    day, start, end = window
    assert api.put("/v1/me/availability", {"slots": [{"day": day, "start": start, "end": end}]},
                   token=token).status == 200
    return r.body["employee"], token


@pytest.fixture(scope="module", params=sorted(CASES))
def pair(request, api, hr_token):
    mgr_zone, mgr_window, mentor_zone, mentor_window = CASES[request.param]
    tag = uuid.uuid4().hex[:8]
    mentor, mentor_tok = signup(api, tag, "mentor", mentor_zone, mentor_window, f"InvA-{tag}")
    manager, manager_tok = signup(api, tag, "mentee", mgr_zone, mgr_window, f"InvB-{tag}")
    assert api.put("/v1/me/teaching", {"skills": [{"skill": "esn_posting", "level": 5}]},
                   token=mentor_tok).status == 200
    assert api.put("/v1/me/learning", {"goals": [{"skill": "esn_posting", "current_level": 0, "priority": 1}]},
                   token=manager_tok).status == 200
    r = api.post("/v1/rounds", {"name": f"Invitations {tag}",
                                "filter": {"departments": [f"InvA-{tag}", f"InvB-{tag}"], "sites": []},
                                "starts_on": STARTS_ON.isoformat(), "ends_on": ENDS_ON.isoformat()},
                 token=hr_token)
    assert r.status == 202, r
    rd = wait_round(api, hr_token, r.body["id"])
    assert rd["status"] == "solved", rd
    assert len(rd["pairs"]) == 1, rd
    assert api.post(f"/v1/rounds/{rd['id']}/publish", token=hr_token).status == 200
    mine = api.get("/v1/me/pairs", token=manager_tok).body["items"]
    assert len(mine) == 1, mine
    return dict(id=mine[0]["pair_id"], mentor=mentor, manager=manager, mentor_tok=mentor_tok,
                manager_tok=manager_tok, mentor_zone=mentor_zone, manager_zone=mgr_zone,
                mentor_window=mentor_window, manager_window=mgr_window, slot=mine[0]["proposed_slot"])


def invitation(api, pair, token):
    r = api.get(f"/v1/me/pairs/{pair['id']}/invite.ics", token=token)
    assert r.status == 200, r
    assert r.headers["Content-Type"].startswith("text/calendar"), r.headers
    text = r.raw.content.decode("utf-8")
    assert all(line.endswith("\r") or line == "" for line in text.split("\n")), "lines must end with CRLF"
    return text, icalendar.Calendar.from_ical(text)


def instants(cal):
    """Every occurrence's (start, end) in UTC over the round, expanded by recurring_ical_events."""
    begin = dt.datetime.combine(STARTS_ON, dt.time(0), dt.timezone.utc) - dt.timedelta(days=2)
    end = dt.datetime.combine(ENDS_ON, dt.time(0), dt.timezone.utc) + dt.timedelta(days=2)
    out = []
    for ev in recurring_ical_events.of(cal).between(begin, end):
        s, e = ev["DTSTART"].dt, ev["DTEND"].dt
        assert s.tzinfo is not None, "occurrences must be anchored in a time zone, not floating"
        out.append((s.astimezone(dt.timezone.utc), e.astimezone(dt.timezone.utc)))
    return sorted(out)


def in_window(instant_utc, minutes, zone, window):
    local = instant_utc.astimezone(zoneinfo.ZoneInfo(zone))
    day, start, end = window
    if DAYS[local.weekday()] != day:
        return False
    begin = local.replace(hour=int(start[:2]), minute=int(start[3:]), second=0, microsecond=0)
    return begin <= local and local + dt.timedelta(minutes=minutes) <= begin.replace(
        hour=int(end[:2]), minute=int(end[3:]))


def test_both_partners_get_the_same_meetings_every_week(api, pair):
    _, mine = invitation(api, pair, pair["manager_tok"])
    _, theirs = invitation(api, pair, pair["mentor_tok"])
    uids = {str(ev["UID"]) for cal in (mine, theirs) for ev in cal.walk("VEVENT")}
    assert len(uids) == 1, f"one meeting series, one UID: {uids}"
    a, b = instants(mine), instants(theirs)
    assert a == b, "the two invitations disagree on some meetings:\n" + \
        "\n".join(f"{x} != {y}" for x, y in zip(a, b) if x != y)
    weeks = (ENDS_ON - STARTS_ON).days // 7 + 1
    assert weeks - 1 <= len(a) <= weeks, f"{len(a)} meetings for a round of {weeks} weeks"
    assert a[0][0].date() - STARTS_ON < dt.timedelta(days=8), f"first meeting {a[0][0]} is not in the first week"
    assert a[-1][0].date() <= ENDS_ON + dt.timedelta(days=1)


def test_every_meeting_lies_in_both_people_s_availability(api, pair):
    _, cal = invitation(api, pair, pair["manager_tok"])
    for start, end in instants(cal):
        minutes = int((end - start).total_seconds() // 60)
        assert minutes == 60, (start, end)
        assert in_window(start, minutes, pair["manager_zone"], pair["manager_window"]), \
            f"{start} is outside the manager's {pair['manager_window']} in {pair['manager_zone']}"
        assert in_window(start, minutes, pair["mentor_zone"], pair["mentor_window"]), \
            f"{start} is outside the mentor's {pair['mentor_window']} in {pair['mentor_zone']}"


def vtimezone_offset(vtz, local):
    """The UTC offset a VTIMEZONE gives at a local wall-clock time: the latest observance started
    at or before it (observances as explicit DTSTART/RDATE lists or yearly RRULEs)."""
    best = None
    for comp in vtz.subcomponents:
        if comp.name not in ("STANDARD", "DAYLIGHT"):
            continue
        starts = [comp["DTSTART"].dt.replace(tzinfo=None)]
        rdates = comp.get("RDATE")
        for rd in (rdates if isinstance(rdates, list) else [rdates] if rdates else []):
            starts += [p.dt.replace(tzinfo=None) for p in rd.dts]
        if "RRULE" in comp:
            from dateutil import rrule
            rule = rrule.rrulestr(comp["RRULE"].to_ical().decode(), dtstart=starts[0])
            starts += list(rule.between(starts[0], local, inc=True))
        for s in starts:
            if s <= local and (best is None or s > best[0]):
                best = (s, comp["TZOFFSETTO"].td)
    assert best is not None, f"no observance of {vtz['TZID']} covers {local}"
    return best[1]


def test_every_tzid_has_a_vtimezone_that_agrees_with_the_zone_database(api, pair):
    for token in (pair["manager_tok"], pair["mentor_tok"]):
        text, cal = invitation(api, pair, token)
        zones = {str(z["TZID"]): z for z in cal.walk("VTIMEZONE")}
        used = set()
        for ev in cal.walk("VEVENT"):
            for prop in ("DTSTART", "DTEND"):
                tzid = ev[prop].params.get("TZID")
                if tzid:
                    used.add(str(tzid))
        assert used <= set(zones), f"TZIDs {used - set(zones)} have no VTIMEZONE (RFC 5545 3.6.5)"
        for start, _ in instants(cal):
            for tzid in used:
                local = start.astimezone(zoneinfo.ZoneInfo(tzid)).replace(tzinfo=None)
                assert vtimezone_offset(zones[tzid], local) == start.astimezone(zoneinfo.ZoneInfo(tzid)).utcoffset(), \
                    f"VTIMEZONE {tzid} gives the wrong offset at {local}"


def test_invitation_names_people_and_skills(api, pair):
    text, cal = invitation(api, pair, pair["mentor_tok"])
    ev, = cal.walk("VEVENT")
    organizer = str(ev["ORGANIZER"]).lower()
    attendees = ev["ATTENDEE"] if isinstance(ev["ATTENDEE"], list) else [ev["ATTENDEE"]]
    people = {organizer} | {str(a).lower() for a in attendees}
    for who in (pair["mentor"], pair["manager"]):
        assert f"mailto:{who['email']}".lower() in people, (who["email"], people)
    unfolded = text.replace("\r\n ", "")
    assert "esn_posting" not in unfolded, "skill slugs instead of names"
    skills = {s["slug"]: s["name"] for s in api.get("/v1/skills").body["items"]}
    assert skills["esn_posting"] in str(ev["DESCRIPTION"]), ev["DESCRIPTION"]
    assert pair["mentor"]["display_name"] in str(ev["SUMMARY"]) and pair["manager"]["display_name"] in str(ev["SUMMARY"])


def test_a_name_with_line_breaks_cannot_add_a_property_to_the_invitation(api, server, make_pair):
    """Names reach the invitation from sign-up, SCIM, the HR import and the identity provider; whatever
    an older path let in (set here straight in the database), a CR or LF in a name never starts a line
    of its own: a CN parameter loses its control characters, a TEXT value escapes line breaks as \\n."""
    import subprocess
    from test_external_db import conninfo
    pair = make_pair()
    evil = "Eve\r\nATTACH:https://evil.example/x.exe\r\nX-EVIL:1\x01"
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", conninfo(server.state_dir), "-v", f"name={evil}"],
                   input=f"UPDATE employees SET display_name = :'name' WHERE id = {pair.mentor.id};\n".encode(),
                   check=True, timeout=30)
    r = api.get(f"/v1/me/pairs/{pair.id}/invite.ics", token=pair.mentee.token)
    assert r.status == 200, r
    text = r.raw.content.decode("utf-8")
    lines = text.split("\r\n")
    assert not any(line.startswith(("ATTACH", "X-EVIL")) for line in lines), text
    assert not any(ch in text.replace("\r\n", "") for ch in "\r\n\x01"), "a bare control character in the invitation"
    ev = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
    assert "ATTACH" not in ev and "X-EVIL" not in ev, ev
    assert "ATTACH:https://evil.example/x.exe" in str(ev["SUMMARY"]), ev["SUMMARY"]
