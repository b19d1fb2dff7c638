-- Schema version 23: reports to a group's moderators come in a second form
-- (signed by a one-time key, the reporter named inside, under another label),
-- which an older device passed over as not for it. Those are tried again once:
-- that needs reading each envelope passed over to find the reports among them,
-- which the upgrade does in Rust after this file (`sealed::retry_passed_over_reports`),
-- so a server, whose passed-over envelopes are grants, reopens none of them.
SELECT 1;
