-- Schema version 17: reminders, on this device only (never synced). An
-- event's own choice of when to remind (minutes before, comma-separated; empty:
-- never), else the device's (`meta.reminder_before`, `meta.reminders_off`);
-- and each reminder already shown, so it is shown once.
CREATE TABLE event_reminders (
    event  BLOB PRIMARY KEY,
    before TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE reminders_shown (
    event      BLOB NOT NULL,
    -- The occurrence's name for a series ('' for a single event).
    occurrence TEXT NOT NULL,
    before     INTEGER NOT NULL,
    shown_at   INTEGER NOT NULL,
    PRIMARY KEY (event, occurrence, before)
) WITHOUT ROWID;
