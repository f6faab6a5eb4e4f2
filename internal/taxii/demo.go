package taxii

import (
	"context"
	"sort"

	"vigil/internal/auth"
)

// DemoCollectionTitle is the demo's collection.
const DemoCollectionTitle = "Danh sách cảnh báo (hiện hành)"

// LoadDemo shares the current published warning lists as a collection
// readable by the SOC analyst (soc, an e-mail) and one unit's officer
// (the first of officers, unit code -> e-mail), and adds one disabled
// example TAXII feed saying what to put in it. It does nothing when the
// collection exists; it returns how many things it added.
func (s *Service) LoadDemo(ctx context.Context, soc string, officers map[string]string) (int, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM taxii_collections WHERE title = ?`, DemoCollectionTitle).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	title, desc, sel := DemoCollectionTitle, "Danh sách cảnh báo đã ban hành của từng tháng, để đơn vị và đối tác đọc bằng ứng dụng khách TAXII 2.1.", SelectCurrent
	c, err := s.CreateCollection(ctx, CollectionInput{Title: &title, Description: &desc, Selection: &sel})
	if err != nil {
		return 0, err
	}
	added := 1
	var grantees []string
	if soc != "" {
		grantees = append(grantees, soc)
	}
	units := make([]string, 0, len(officers))
	for u := range officers {
		units = append(units, u)
	}
	sort.Strings(units)
	if len(units) > 0 {
		grantees = append(grantees, officers[units[0]])
	}
	for _, email := range grantees {
		if _, err := s.GrantAccess(ctx, c.ID, GrantInput{User: email, CanRead: true}); err != nil {
			return added, err
		}
	}
	kind, name, url, coll := FeedTAXII, "Ví dụ: bộ sưu tập TAXII của đối tác (đã tắt)", "https://taxii.example.invalid/taxii2/", "thay-bang-ma-bo-suu-tap"
	fdesc := "Mẫu để sửa: thay địa chỉ bằng địa chỉ khám phá TAXII thật của cơ quan chuyên trách hoặc đối tác, mã bộ sưu tập, tên đăng nhập và mã truy cập họ cấp, rồi bật lên."
	off := false
	if _, err := s.CreateFeed(ctx, FeedInput{Kind: &kind, Name: &name, Description: &fdesc, URL: &url, Collection: &coll, Enabled: &off}); err != nil {
		return added, err
	}
	return added + 1, nil
}
