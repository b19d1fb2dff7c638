-- Schema version 23: reports to a group's moderators come in a second form
-- (signed by a one-time key, the reporter named inside, under another label),
-- which an older device passed over as not for it. Everything passed over is
-- tried again once, as when a new persona is made.
UPDATE envelopes SET opened = 0 WHERE opened = 2;
