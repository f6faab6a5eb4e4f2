-- Where a host's task came from: 'hub' (an officer asked for it) or
-- 'agent' (a scan the agent ran on its own, `vigil agent scan --report`,
-- recorded when its report arrived).
ALTER TABLE agent_tasks ADD COLUMN origin TEXT NOT NULL DEFAULT 'hub';
