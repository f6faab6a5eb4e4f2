package vulnmatch

import (
	"context"
	"sort"
	"strconv"

	"vigil/internal/vuln"
	"vigil/internal/vuln/kb"
	"vigil/internal/vuln/match"
)

// FromVuln is the knowledge base the hub keeps (internal/vuln): its
// version is polled; a snapshot is read only when it changes.
func FromVuln(s *vuln.Service) KB { return vulnKB{s} }

type vulnKB struct{ s *vuln.Service }

func (k vulnKB) KBVersion(ctx context.Context) (string, error) {
	v, err := k.s.Version(ctx)
	if err != nil || v == 0 {
		return "", err
	}
	return strconv.FormatInt(v, 10), nil
}

func (k vulnKB) KBData(ctx context.Context) (*match.Data, error) {
	snap, err := k.s.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	d := &match.Data{Version: strconv.FormatInt(snap.Version, 10), Products: snap.Products, Fixes: snap.Fixes, CPE: snap.CPEMatches}
	d.CVEs = make([]kb.CVE, 0, len(snap.CVEs))
	for _, c := range snap.CVEs {
		d.CVEs = append(d.CVEs, c)
	}
	sort.Slice(d.CVEs, func(i, j int) bool { return d.CVEs[i].ID < d.CVEs[j].ID })
	for _, e := range snap.KEV {
		d.KEV = append(d.KEV, e)
	}
	for _, e := range snap.EPSS {
		d.EPSS = append(d.EPSS, e)
	}
	return d, nil
}
