-- Schema version 15: "which documents changed since position P" (what a
-- server announces to each of its peers after every batch it stores) read
-- from a covering index over (position, document) instead of the change rows
-- themselves.
CREATE INDEX changes_since ON changes (id, doc);
