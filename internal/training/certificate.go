package training

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/fonts"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Certificate is what a certificate says.
type Certificate struct {
	Number   string
	Name     string
	Position string
	Unit     string
	Course   string
	Score    int
	PassedAt time.Time
}

// ErrNotPassed refuses a certificate to someone who has not passed.
var ErrNotPassed = errs.Errorf(errs.ECONFLICT, "no certificate: the course is not passed yet")

func (s *Service) certificate(ctx context.Context, personID, courseID int64) (*Certificate, error) {
	var c Certificate
	var passed int64
	var aid int64
	err := s.DB.QueryRow(ctx, `SELECT a.id, p.name, p.position, u.name, co.title, a.score, a.passed_at
		FROM training_assignments a JOIN training_people p ON p.id = a.person_id JOIN units u ON u.id = p.unit_id JOIN training_courses co ON co.id = a.course_id
		WHERE a.person_id = ? AND a.course_id = ? AND a.passed_at > 0 ORDER BY a.passed_at LIMIT 1`, personID, courseID).
		Scan(&aid, &c.Name, &c.Position, &c.Unit, &c.Course, &c.Score, &passed)
	if store.IsNoRows(err) {
		return nil, ErrNotPassed
	}
	if err != nil {
		return nil, fmt.Errorf("training: certificate: %w", err)
	}
	c.PassedAt = store.Time(passed)
	c.Number = fmt.Sprintf("ATTT-%d-%06d", c.PassedAt.In(i18n.Location).Year(), aid)
	return &c, nil
}

// MyCertificate is the learner's own certificate of a course, as a PDF.
func (s *Service) MyCertificate(ctx context.Context, l *Learner, courseID int64) ([]byte, error) {
	c, err := s.certificate(ctx, l.PersonID, courseID)
	if err != nil {
		return nil, err
	}
	return c.PDF()
}

// PersonCertificate is an employee's certificate for an officer of their
// unit (not found outside the caller's scope).
func (s *Service) PersonCertificate(ctx context.Context, personID, courseID int64) ([]byte, *Certificate, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	x, err := s.PersonByID(ctx, personID)
	if err != nil {
		return nil, nil, err
	}
	_ = p
	c, err := s.certificate(ctx, x.ID, courseID)
	if err != nil {
		return nil, nil, err
	}
	b, err := c.PDF()
	return b, c, err
}

// PDF draws the certificate on an A4 landscape page, in Vietnamese with
// the embedded DejaVu fonts.
func (c *Certificate) PDF() ([]byte, error) {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetTitle("Giấy chứng nhận "+c.Number, true)
	pdf.SetCreator("Vigil", true)
	pdf.AddUTF8FontFromBytes(fonts.Family, "", fonts.Regular())
	pdf.AddUTF8FontFromBytes(fonts.Family, "B", fonts.Bold())
	pdf.SetMargins(20, 20, 20)
	pdf.AddPage()
	pdf.SetDrawColor(30, 70, 140)
	pdf.SetLineWidth(1.2)
	pdf.Rect(10, 10, 277, 190, "D")
	pdf.SetLineWidth(0.3)
	pdf.Rect(13, 13, 271, 184, "D")
	center := func(style string, size float64, h float64, text string) {
		pdf.SetFont(fonts.Family, style, size)
		pdf.MultiCell(0, h, text, "", "C", false)
	}
	pdf.SetY(24)
	center("B", 12, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
	center("", 11, 6, "Độc lập - Tự do - Hạnh phúc")
	pdf.Ln(10)
	pdf.SetTextColor(30, 70, 140)
	center("B", 28, 14, "GIẤY CHỨNG NHẬN")
	pdf.SetTextColor(0, 0, 0)
	center("", 13, 7, "Hoàn thành khóa học nâng cao nhận thức an toàn thông tin")
	pdf.Ln(8)
	center("", 13, 7, "Chứng nhận Ông/Bà")
	center("B", 22, 12, c.Name)
	if c.Position != "" {
		center("", 12, 7, c.Position)
	}
	center("", 12, 7, c.Unit)
	pdf.Ln(5)
	center("", 13, 7, "đã hoàn thành và đạt yêu cầu khóa học")
	center("B", 15, 8, "“"+c.Course+"”")
	center("", 12, 7, fmt.Sprintf("Điểm: %d/100 — ngày %s", c.Score, i18n.FormatDate(c.PassedAt, "vi")))
	pdf.Ln(10)
	pdf.SetFont(fonts.Family, "", 10)
	pdf.CellFormat(0, 6, "Số: "+c.Number, "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 6, "Cấp bởi hệ thống Vigil — Trung tâm Công nghệ thông tin", "", 1, "L", false, 0, "")
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("training: certificate: %w", err)
	}
	return b.Bytes(), nil
}
