-- Schema version 10: who sent each waiting envelope (the peer's persona; NULL
-- for an import or one made here), so waiting envelopes are capped per peer and
-- those of a peer dropped for misbehaving are forgotten (see
-- `sealed::store_envelopes`).
ALTER TABLE waiting_envelopes ADD COLUMN sender BLOB;
CREATE INDEX waiting_envelopes_by_sender ON waiting_envelopes (sender) WHERE sender IS NOT NULL;
