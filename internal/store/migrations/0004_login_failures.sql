-- Wrong-password counts per account and client address (an IPv4 address or
-- an IPv6 /64), so that guesses from one address lock that address out of
-- that account and not the account's owner elsewhere; the account-wide
-- limit sums them (internal/auth/lockout.go). last_success_at marks the
-- addresses the owner signs in from, which the account-wide lock spares.
CREATE TABLE login_failures (
	user_id         BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	address         TEXT NOT NULL,
	failures        INTEGER NOT NULL DEFAULT 0,
	last_failure_at BIGINT NOT NULL DEFAULT 0,
	last_success_at BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, address)
);
CREATE INDEX login_failures_recent ON login_failures(user_id, last_failure_at);
