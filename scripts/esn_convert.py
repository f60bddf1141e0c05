#!/usr/bin/env python3
"""Converts a Viva Engage (Yammer) network data export's Messages.csv into Tandem ESN events (NDJSON,
one event per line, for POST /v1/esn/import with Content-Type: application/x-ndjson).

Columns are read by header name (see README "ESN export mapping"); the message body and attachments
are never read nor written: only who did what, where, when, and to whom.
  a message without replied_to_id      -> post     (community = group_name)
  a message with replied_to_id         -> comment  (target = sender of the message replied to)
  deleted messages (deleted_at set) and private conversations (in_private_conversation = true) are
  skipped and counted on stderr.

Usage: esn_convert.py Messages.csv > events.ndjson
"""
import csv
import datetime
import json
import sys

REQUIRED = ("id", "replied_to_id", "group_name", "sender_email", "created_at")


def parse_time(text):
    """Yammer writes "2023-05-04 09:12:30 UTC" (older exports) or ISO 8601; returns RFC 3339 UTC."""
    t = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%d %H:%M:%S"):
        try:
            d = datetime.datetime.strptime(t, fmt)
            return d.strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            pass
    d = datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def truthy(text):
    return (text or "").strip().lower() in ("true", "1", "yes", "t")


def convert(rows, out, err):
    """Writes the events of rows (dicts keyed by header) to out; returns (written, skipped)."""
    rows = list(rows)
    sender_of = {r["id"]: (r.get("sender_email") or "").strip() for r in rows}
    written = skipped = 0
    for r in rows:
        if (r.get("deleted_at") or "").strip() or truthy(r.get("in_private_conversation")) \
                or not (r.get("sender_email") or "").strip():
            skipped += 1
            continue
        reply_to = (r.get("replied_to_id") or "").strip()
        ev = {"id": "yammer:message:" + r["id"].strip(), "actor_email": r["sender_email"].strip(),
              "kind": "comment" if reply_to else "post",
              "community": (r.get("group_name") or "").strip() or "All Company",
              "occurred_at": parse_time(r["created_at"])}
        target = sender_of.get(reply_to, "") if reply_to else ""
        if target and target.lower() != ev["actor_email"].lower():
            ev["target_email"] = target
        out.write(json.dumps(ev, separators=(",", ":")) + "\n")
        written += 1
    err.write(f"esn_convert: {written} events written, {skipped} messages skipped (deleted, private or no sender)\n")
    return written, skipped


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            sys.stderr.write(f"esn_convert: {argv[1]} lacks the column(s) {', '.join(missing)}\n")
            return 1
        convert(reader, sys.stdout, sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
