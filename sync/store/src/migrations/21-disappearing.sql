-- Schema version 21: disappearing messages. An envelope that carries an expiry
-- (the detachable form) keeps it here while its body is held; the sweep
-- (`sealed::sweep`) then keeps only its stub and clears it. A message opened
-- from such an envelope keeps the same expiry and is deleted with it.
ALTER TABLE envelopes ADD COLUMN expires INTEGER;
CREATE INDEX envelopes_expiring ON envelopes (expires) WHERE expires IS NOT NULL;
ALTER TABLE waiting_envelopes ADD COLUMN expires INTEGER;
CREATE INDEX waiting_envelopes_expiring ON waiting_envelopes (expires) WHERE expires IS NOT NULL;
ALTER TABLE messages ADD COLUMN expires INTEGER;
CREATE INDEX messages_expiring ON messages (expires) WHERE expires IS NOT NULL;
