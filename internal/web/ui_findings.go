package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"vigil/internal/findings"
)

// findingView is a finding with its evidence decoded for the templates.
type findingView struct {
	*findings.Finding
	Malware *findings.MalwareEvidence
}

func viewFindings(fs []*findings.Finding) []findingView {
	out := make([]findingView, 0, len(fs))
	for _, f := range fs {
		v := findingView{Finding: f}
		if f.Kind == findings.KindMalware {
			var m findings.MalwareEvidence
			if json.Unmarshal(f.Evidence, &m) == nil {
				v.Malware = &m
			}
		}
		out = append(out, v)
	}
	return out
}

func (s *Server) uiUpdateFinding(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	status, note := r.PostFormValue("status"), r.PostFormValue("note")
	f, err := s.Findings.Update(r.Context(), id, findings.Update{Status: &status, Note: &note})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/hosts/"+strconv.FormatInt(f.HostID, 10))
}
