package phishing

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/auth"
	"vigil/internal/store"
)

// LoadDemo adds a finished drill in Hà Nội (T01) ten days ago — sent to
// its demo employees, with opens, clicks, a few submissions, reports and a
// mail scanner's requests — unless there is a drill already. It returns
// the drills added.
func (s *Service) LoadDemo(ctx context.Context) (int, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM phishing_campaigns`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	var people int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM training_people p JOIN units u ON u.id = p.unit_id WHERE u.code = 'T01' OR u.code LIKE 'T01-%'`).Scan(&people); err != nil || people == 0 {
		return 0, err
	}
	ts, err := s.Templates(ctx)
	if err != nil || len(ts) == 0 {
		return 0, err
	}
	start := s.now().AddDate(0, 0, -10)
	c, err := s.CreateCampaign(ctx, CampaignInput{Template: ts[0].ID, Unit: "T01", Name: "Diễn tập VssID giả — Hà Nội", StartAt: start.Format(time.RFC3339), WindowMinutes: 120})
	if err != nil {
		return 0, fmt.Errorf("phishing: demo: %w", err)
	}
	if _, err := s.DB.Exec(ctx, `UPDATE phishing_recipients SET status = 'sent', sent_at = send_at WHERE campaign_id = ?`, c.ID); err != nil {
		return 0, err
	}
	// Marked sent in bulk, behind the counters' back: rebuild them.
	if err := s.Recount(ctx); err != nil {
		return 0, err
	}
	rows, err := s.DB.Query(ctx, `SELECT r.id, c.secret FROM phishing_recipients r JOIN phishing_campaigns c ON c.id = r.campaign_id WHERE r.campaign_id = ? ORDER BY r.id`, c.ID)
	if err != nil {
		return 0, err
	}
	var toks []string
	for rows.Next() {
		var id int64
		var secret string
		if err := rows.Scan(&id, &secret); err != nil {
			rows.Close()
			return 0, err
		}
		toks = append(toks, token(secret, id))
	}
	rows.Close()
	const ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
	for i, tok := range toks {
		hits := []Hit{{Kind: "click", Method: "HEAD", UserAgent: ua}} // the gateway's scanner, on every link
		switch i % 10 {
		case 0, 1, 2, 3:
			hits = append(hits, Hit{Kind: "open", Method: "GET", UserAgent: ua})
		case 4, 5:
			hits = append(hits, Hit{Kind: "click", Method: "GET", UserAgent: ua})
		case 6:
			hits = append(hits, Hit{Kind: "click", Method: "GET", UserAgent: ua}, Hit{Kind: "submit", Method: "POST", UserAgent: ua})
		case 7, 8:
			hits = append(hits, Hit{Kind: "open", Method: "GET", UserAgent: ua}, Hit{Kind: "report", Method: "POST", UserAgent: "Outlook"})
		}
		for _, h := range hits {
			if _, err := s.Track(ctx, tok, h); err != nil {
				return 0, fmt.Errorf("phishing: demo: %w", err)
			}
		}
	}
	// The follow-up lesson's invitations are not mailed: nobody reads them.
	if _, err := s.DB.Exec(ctx, `UPDATE training_mail SET status = 'sent', sent_at = ? WHERE status = 'queued' AND campaign_id IN (SELECT followup_id FROM phishing_campaigns)`,
		store.Micros(s.now())); err != nil {
		return 0, err
	}
	return 1, nil
}
