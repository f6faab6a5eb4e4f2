package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/asset"
	"vigil/internal/datafile"
	"vigil/internal/errs"
	"vigil/internal/hosts"
	"vigil/internal/i18n"
)

// Wire shapes of agent requests whose inventory is decoded by asset (so a
// bad field is named by its JSON path).
type enrollWire struct {
	Hostname  string          `json:"hostname"`
	Inventory json.RawMessage `json:"inventory"`
}

type inventoryWire struct {
	Full      bool            `json:"full"`
	Inventory json.RawMessage `json:"inventory,omitempty"`
	Changes   *asset.Delta    `json:"changes,omitempty"`
}

type scanRequest struct {
	Paths   []string `json:"paths"`
	MaxSize int64    `json:"max_size"`
}

func (s *Server) apiCreateEnrollmentToken(w http.ResponseWriter, r *http.Request) {
	var in hosts.EnrollmentTokenInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.Hosts.CreateEnrollmentToken(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) apiRevokeEnrollmentToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Hosts.RevokeEnrollmentToken(r.Context(), id)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// decodeInventory decodes an inventory with errors naming the JSON path
// under prefix, and the size limit named.
func decodeInventory(raw json.RawMessage, prefix string) (*asset.Inventory, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	inv, err := asset.Unmarshal(raw)
	if err != nil {
		return nil, inventoryErr(prefix, err)
	}
	return inv, nil
}

func inventoryErr(prefix string, err error) error {
	if errors.Is(err, asset.ErrTooLarge) {
		return errs.Errorf(errs.ETOOLARGE, "inventory is larger than the limit of %d MiB", asset.MaxDocumentBytes>>20)
	}
	var ve *asset.ValidationError
	var fe *asset.FieldError
	field := prefix
	switch {
	case errors.As(err, &ve) && len(ve.Fields) > 0:
		field = joinPath(prefix, ve.Fields[0].Path)
	case errors.As(err, &fe):
		field = joinPath(prefix, fe.Path)
	}
	return &errs.Error{Code: errs.EINVALID, Field: field, Message: err.Error()}
}

func joinPath(prefix, p string) string {
	if prefix == "" {
		return p
	}
	if p == "" {
		return prefix
	}
	if strings.HasPrefix(p, "[") {
		return prefix + p
	}
	return prefix + "." + p
}

// apiEnroll admits an agent. The enrolment token is checked before the
// body is read: agents send it as "Authorization: Bearer vge_..."; agents
// from before that send it as the body's first member, which is read
// alone and checked before the rest. Anything else is refused at once, so
// an anonymous flood of large bodies costs the hub a few hundred bytes
// each. A good token's body then waits for a large-body slot.
func (s *Server) apiEnroll(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, r, errs.Invalid("", "Content-Type must be application/json"))
		return
	}
	token := enrollmentBearer(r)
	if token != "" {
		if err := s.Hosts.CheckEnrollmentToken(r.Context(), token); err != nil {
			writeError(w, r, err)
			return
		}
	}
	const limit = asset.MaxDocumentBytes + 4096
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	var in enrollWire
	release := func() {}
	defer func() { release() }()
	err := func() error {
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			return errs.Invalid("", "request body must be a JSON object")
		}
		first, admitted := true, false
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := t.(string)
			if key == "token" {
				var bodyToken string
				if err := dec.Decode(&bodyToken); err != nil {
					return err
				}
				switch {
				case token != "" && bodyToken != token:
					return errs.Errorf(errs.EUNAUTHORIZED, "the body's token differs from the Authorization header's")
				case token == "" && first:
					if err := s.Hosts.CheckEnrollmentToken(r.Context(), bodyToken); err != nil {
						return err
					}
					token = bodyToken
				case token == "":
					return errs.Errorf(errs.EUNAUTHORIZED, "send the enrolment token as Authorization: Bearer <token>")
				}
				first = false
				continue
			}
			if token == "" {
				return errs.Errorf(errs.EUNAUTHORIZED, "enrolment token required: send Authorization: Bearer <token>")
			}
			first = false
			if !admitted {
				// The token is good: the rest of the body may be large.
				if release, err = s.admitBody(r); err != nil {
					release = func() {}
					return err
				}
				admitted = true
			}
			switch key {
			case "hostname":
				err = dec.Decode(&in.Hostname)
			case "inventory":
				err = dec.Decode(&in.Inventory)
			default:
				return errs.Invalid(key, "unknown field")
			}
			if err != nil {
				return err
			}
		}
		if token == "" {
			return errs.Errorf(errs.EUNAUTHORIZED, "enrolment token required: send Authorization: Bearer <token>")
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		if _, err := dec.Token(); err != io.EOF {
			return errs.Invalid("", "request body holds data after the JSON value")
		}
		return nil
	}()
	if err != nil {
		if _, ok := errs.As(err); !ok {
			err = jsonError(err, limit)
		}
		writeError(w, r, sizeAsInventory(err))
		return
	}
	inv, err := decodeInventory(in.Inventory, "inventory")
	if err != nil {
		writeError(w, r, err)
		return
	}
	resp, err := s.Hosts.Enroll(r.Context(), &agentapi.EnrollRequest{Token: token, Hostname: in.Hostname, Inventory: inv})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

// enrollmentBearer returns the enrolment token of an
// "Authorization: Bearer vge_..." header, or "".
func enrollmentBearer(r *http.Request) string {
	scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(secret, hosts.EnrollmentTokenPrefix) {
		return ""
	}
	return secret
}

func sizeAsInventory(err error) error {
	if errs.Code(err) == errs.ETOOLARGE {
		return errs.Errorf(errs.ETOOLARGE, "inventory is larger than the limit of %d MiB", asset.MaxDocumentBytes>>20)
	}
	return err
}

func (s *Server) apiHeartbeat(w http.ResponseWriter, r *http.Request) {
	var in agentapi.HeartbeatRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	resp, err := s.Hosts.Heartbeat(r.Context(), &in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) apiAgentInventory(w http.ResponseWriter, r *http.Request) {
	release, err := s.admitBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	var in inventoryWire
	if err := s.decodeJSONLimit(w, r, &in, asset.MaxDocumentBytes+4096); err != nil {
		writeError(w, r, sizeAsInventory(err))
		return
	}
	inv, err := decodeInventory(in.Inventory, "inventory")
	if err != nil {
		writeError(w, r, err)
		return
	}
	resp, _, err := s.Hosts.PostInventory(r.Context(), &agentapi.InventoryRequest{Full: in.Full, Inventory: inv, Changes: in.Changes})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) apiAgentIndicators(w http.ResponseWriter, r *http.Request) {
	resp, err := s.Hosts.Indicators(r.Context(), r.URL.Query().Get("since"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) apiTaskResult(w http.ResponseWriter, r *http.Request) {
	release, err := s.admitBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	var in agentapi.TaskResult
	if err := s.decodeJSONLimit(w, r, &in, 32<<20); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.Hosts.TaskResult(r.Context(), r.PathValue("id"), &in); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiScanReport records a scan the agent ran on its own: 201 with the task
// it became, 200 when the hub already had this report.
func (s *Server) apiScanReport(w http.ResponseWriter, r *http.Request) {
	release, err := s.admitBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	var in agentapi.ScanReport
	if err := s.decodeJSONLimit(w, r, &in, 32<<20); err != nil {
		writeError(w, r, err)
		return
	}
	resp, err := s.Hosts.RecordScanReport(r.Context(), &in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	status := http.StatusCreated
	if resp.Duplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, resp)
}

// hostFilter reads the hosts list's filters, shared by the API and the
// page.
func hostFilter(r *http.Request) (hosts.HostFilter, error) {
	q := r.URL.Query()
	f := hosts.HostFilter{Unit: q.Get("unit"), OS: q.Get("os"), Role: q.Get("role"), Failing: q.Get("failing"),
		Stale: q.Get("stale") == "1" || q.Get("stale") == "true", Query: q.Get("q")}
	for name, dst := range map[string]*time.Time{"seen_before": &f.SeenBefore, "seen_after": &f.SeenAfter} {
		if v := q.Get(name); v != "" {
			t, err := parseDateParam(v)
			if err != nil {
				return f, errs.Invalid(name, "must be a date (dd/mm/yyyy or yyyy-mm-dd) or RFC 3339 time")
			}
			*dst = t
		}
	}
	return f, nil
}

func (s *Server) apiListHosts(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, hosts.HostSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := hostFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportHosts(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	hs, total, err := s.Hosts.ListHosts(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, hs, total)
}

// exportHosts writes the hosts f selects, in lp's order, as CSV or XLSX.
func (s *Server) exportHosts(w http.ResponseWriter, r *http.Request, lp listParams, f hosts.HostFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	check := func(ok bool) string {
		if ok {
			return i18n.T(lang, "hosts.ok")
		}
		return i18n.T(lang, "hosts.fail")
	}
	cols := []exportColumn[*hosts.Host]{
		{"common.id", func(h *hosts.Host) string { return strconv.FormatInt(h.ID, 10) }},
		{"hosts.hostname", func(h *hosts.Host) string { return h.Hostname }},
		{"hosts.fqdn", func(h *hosts.Host) string { return h.FQDN }},
		{"common.unit", func(h *hosts.Host) string { return h.Unit + " " + h.UnitName }},
		{"hosts.os", func(h *hosts.Host) string { return strings.TrimSpace(h.OS.Name + " " + h.OS.Version) }},
		{"hosts.role", func(h *hosts.Host) string { return roleText(lang, h.Role) }},
		{"hosts.addresses", func(h *hosts.Host) string { return strings.Join(h.Addresses, " ") }},
		{"hosts.av", func(h *hosts.Host) string { return check(h.Status.Antivirus) }},
		{"hosts.fw", func(h *hosts.Host) string { return check(h.Status.Firewall) }},
		{"hosts.agent", func(h *hosts.Host) string {
			switch {
			case h.Status.AgentSeen:
				return i18n.T(lang, "hosts.ok")
			case h.Status.HasAgent:
				return i18n.T(lang, "cov.stale")
			}
			return i18n.T(lang, "cov.no_agent")
		}},
		{"hosts.agent_seen", func(h *hosts.Host) string { return i18n.FormatTime(h.AgentSeenAt, lang) }},
		{"hosts.last_seen", func(h *hosts.Host) string { return i18n.FormatTime(h.LastSeen, lang) }},
		{"hosts.open_findings", func(h *hosts.Host) string { return strconv.Itoa(h.OpenFindings) }},
	}
	return exportList(w, r, lp, "hosts", cols, func(offset, limit int) ([]*hosts.Host, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Hosts.ListHosts(r.Context(), f)
	})
}

// roleText is a host's role in words.
func roleText(lang, role string) string {
	switch role {
	case "server", "workstation":
		return i18n.T(lang, "hosts."+role)
	}
	return role
}

func (s *Server) apiGetHost(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	var h *hosts.HostDetail
	if err == nil {
		h, err = s.Hosts.GetHost(r.Context(), id)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) apiDeleteHost(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Hosts.DeleteHost(r.Context(), id)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiScanHost(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in scanRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.Hosts.CreateScanTask(r.Context(), id, agentapi.ScanParams{Paths: in.Paths, MaxSize: in.MaxSize})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) apiCoverage(w http.ResponseWriter, r *http.Request) {
	c, err := s.Hosts.UnitCoverage(r.Context(), r.PathValue("code"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// apiImportHosts reads a file of inventories: `vigil agent collect` JSON
// (one object, an array or JSON lines), the CSV template, or osquery JSON
// results. The format is detected unless ?format= says. The body is
// parsed as it arrives (never held whole) and refused at the first host
// past --import-max-rows.
func (s *Server) apiImportHosts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	file := q.Get("file")
	if file == "" {
		file = "inventory"
	}
	// Permission first: a caller who may not import must not make the hub
	// read a large file.
	if err := s.Hosts.CanImport(r.Context(), q.Get("unit")); err != nil {
		writeError(w, r, err)
		return
	}
	release, err := s.admitBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	r.Body = http.MaxBytesReader(w, r.Body, maxImportBytes)
	invs, err := s.parseImport(r, file, q.Get("format"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := s.Hosts.Import(r.Context(), q.Get("unit"), file, invs)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// maxImportBytes bounds an import's body; the host limit usually stops it
// first.
const maxImportBytes = 256 << 20

// parseImport decodes an import body with errors the caller can act on:
// the file, line and field of a bad value, the host limit (in the
// signed-in user's language), the size limit.
func (s *Server) parseImport(r *http.Request, file, format string) ([]*asset.Inventory, error) {
	switch format {
	case "", "agent", "csv", "osquery":
	default:
		return nil, errs.Invalid("format", "unknown inventory format %q (agent, csv, osquery)", format)
	}
	invs, err := asset.ParseImport(r.Body, file, format, s.ImportMaxRows)
	if err == nil {
		return invs, nil
	}
	var mbe *http.MaxBytesError
	var many *asset.TooManyHostsError
	var ie *datafile.Error
	switch {
	case errors.As(err, &mbe):
		return nil, errs.Errorf(errs.ETOOLARGE, "%s: import file larger than %d MiB; split it", file, maxImportBytes>>20)
	case errors.As(err, &many):
		lang := "en"
		if p := principalOf(r); p != nil && p.Via == "session" {
			lang = langOf(r)
		}
		where := &datafile.Error{File: file}
		errors.As(err, &where)
		msg := fmt.Sprintf(i18n.T(lang, "hosts.import_too_many"), i18n.Number(many.Limit, lang))
		// msg is already in the reader's language (English for the API).
		return nil, &errs.Error{Code: errs.ETOOLARGE, Message: (&datafile.Error{File: where.File, Line: where.Line, Record: where.Record, Err: errors.New(msg)}).Error()}
	case errors.As(err, &ie):
		return nil, &errs.Error{Code: errs.EINVALID, Field: ie.Field, Message: ie.Error()}
	}
	return nil, inventoryErr("", err)
}
