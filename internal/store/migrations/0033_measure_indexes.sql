-- Indexes for the measure providers (internal/measure): phishing drill
-- results of a period read only the recipients sent to in it.
CREATE INDEX phishing_recipients_sent ON phishing_recipients(sent_at, unit_id, clicked_at, reported_at);
