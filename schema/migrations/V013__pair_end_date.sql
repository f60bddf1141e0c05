-- A pair's end date may change while it runs (PATCH /v1/pairs/{id}: either side or HR): who changed
-- it last and when, and the revision of its calendar invitation (iCalendar SEQUENCE), so that
-- calendars replace the weekly series instead of keeping the old end.
ALTER TABLE pairs
    ADD COLUMN ends_on_changed_at timestamptz,
    ADD COLUMN ends_on_changed_by text CHECK (ends_on_changed_by IN ('mentor', 'mentee', 'hr')),
    ADD COLUMN ics_sequence integer NOT NULL DEFAULT 0 CHECK (ics_sequence >= 0);
