-- Schema version 23: reports to a group's moderators come in a second form
-- (signed by a one-time key, the reporter named inside, under another label),
-- which an older device passed over as not for it. What it passed over in the
-- logs of the groups it holds keys for (a moderator's) is tried again once. A
-- server, which holds no group's keys, has nothing to try again.
UPDATE envelopes SET opened = 0
WHERE opened = 2
  AND log IN (SELECT l.log FROM logs l WHERE l.grp IN (SELECT grp FROM group_keys));
