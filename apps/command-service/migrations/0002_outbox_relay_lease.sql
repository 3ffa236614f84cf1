-- Which command-service instance relays the outbox, and until when (database clock). A lease
-- rather than a session advisory lock: the session of a leader whose host vanished (no FIN, no
-- RST) lives on in the server, lock included, until TCP keepalive gives up hours later; a lease
-- runs out on its own. `term` grows with every new holder, so a leader that lost the lease can
-- never renew it. `holder_pid` is the holder's backend: once that session is gone, the lease is
-- free at once (a crashed or stopped leader need not wait for expiry).
CREATE TABLE outbox_relay_lease (
  singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  term        bigint      NOT NULL,
  holder      text        NOT NULL,
  holder_pid  integer     NOT NULL,
  expires_at  timestamptz NOT NULL
);

INSERT INTO outbox_relay_lease (term, holder, holder_pid, expires_at)
  VALUES (0, '', 0, '-infinity');
