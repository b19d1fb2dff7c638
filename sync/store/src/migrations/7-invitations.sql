-- Schema version 7: invitations through a server (see `sync.rs`). On a server
-- only; empty on a device.
--
-- The members of each group log, as their devices said (`Route`): the personas
-- whose devices may tell the server more about the log.
CREATE TABLE log_members (
    log     BLOB NOT NULL,
    persona BLOB NOT NULL,
    PRIMARY KEY (log, persona)
) WITHOUT ROWID;

-- The invitations of each group log that still let someone in (their public
-- keys), as the members' devices said (`Invitations`) or the group's own
-- document shows.
CREATE TABLE open_invites (
    log    BLOB NOT NULL,
    invite BLOB NOT NULL,
    PRIMARY KEY (log, invite)
) WITHOUT ROWID;

-- Personas that showed an invitation (`Invited`): handed the group, its log and
-- its events for as long as the invitation is open.
CREATE TABLE invited (
    remote BLOB NOT NULL,
    log    BLOB NOT NULL,
    grp    BLOB NOT NULL,
    invite BLOB NOT NULL,
    PRIMARY KEY (remote, log)
) WITHOUT ROWID;
