// Package ldaptest runs a real LDAP server (the LDAP v3 protocol over TCP,
// github.com/vjeantet/ldapserver) in the test process, holding a small
// directory: simple bind with one account, and subtree searches under the
// base DN evaluated against the entries (&, |, !, =, present and
// substring filters; attribute names and values compared without case, as
// Active Directory does). Tests of the directory sync bind and search it
// exactly as they would a production server.
package ldaptest

import (
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"

	goldap "github.com/lor00x/goldap/message"
	ldapserver "github.com/vjeantet/ldapserver"
)

// Entry is one object of the directory.
type Entry struct {
	DN    string
	Attrs map[string][]string
}

// Server is a running directory.
type Server struct {
	URL      string // ldap://127.0.0.1:port
	Addr     string
	BaseDN   string
	BindDN   string
	Password string

	mu       sync.Mutex
	entries  []Entry
	searches int
	binds    int
}

var quiet sync.Once

// NewServer starts a directory under baseDN that accepts a simple bind as
// bindDN with password; it stops when the test ends.
func NewServer(t testing.TB, baseDN, bindDN, password string) *Server {
	t.Helper()
	quiet.Do(func() { ldapserver.Logger = log.New(io.Discard, "", 0) })
	s := &Server{BaseDN: baseDN, BindDN: bindDN, Password: password}
	routes := ldapserver.NewRouteMux()
	routes.Bind(s.bind)
	routes.Search(s.search)
	srv := ldapserver.NewServer()
	srv.Handle(routes)
	// The library's Stop races with its own connections (a send on a
	// closed channel when a client leaves as the server stops), and its
	// accept loop, once its listener is closed without Stop, serves a nil
	// connection. So the server is never stopped: at the end the test
	// closes the connections it saw and the listener, whose Accept then
	// waits for good instead of failing.
	gate := &quietListener{done: make(chan struct{})}
	srv.OnNewConnection = func(c net.Conn) error {
		gate.mu.Lock()
		defer gate.mu.Unlock()
		gate.conns = append(gate.conns, c)
		return nil
	}
	addr := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- srv.ListenAndServe("127.0.0.1:0", func(srv *ldapserver.Server) {
			gate.Listener = srv.Listener
			srv.Listener = gate
			addr <- gate.Addr()
		})
	}()
	select {
	case a := <-addr:
		s.Addr = a.String()
	case err := <-errc:
		t.Fatalf("ldaptest: %v", err)
	}
	s.URL = "ldap://" + s.Addr
	t.Cleanup(gate.close)
	return s
}

// quietListener is the server's listener: once closed, Accept blocks
// instead of returning an error.
type quietListener struct {
	net.Listener
	done  chan struct{}
	once  sync.Once
	mu    sync.Mutex
	conns []net.Conn
}

func (l *quietListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		select {
		case <-l.done:
			select {} // closed: this server accepts no more, for good
		default:
		}
	}
	return c, err
}

func (l *quietListener) close() {
	l.once.Do(func() {
		close(l.done)
		l.Listener.Close()
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, c := range l.conns {
			c.Close()
		}
	})
}

// Set replaces the directory's entries.
func (s *Server) Set(entries ...Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = entries
}

// Searches is how many searches the server answered.
func (s *Server) Searches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.searches
}

func (s *Server) bind(w ldapserver.ResponseWriter, m *ldapserver.Message) {
	r := m.GetBindRequest()
	s.mu.Lock()
	s.binds++
	s.mu.Unlock()
	if strings.EqualFold(string(r.Name()), s.BindDN) && string(r.AuthenticationSimple()) == s.Password && s.Password != "" {
		w.Write(ldapserver.NewBindResponse(ldapserver.LDAPResultSuccess))
		return
	}
	res := ldapserver.NewBindResponse(ldapserver.LDAPResultInvalidCredentials)
	res.SetDiagnosticMessage("invalid credentials")
	w.Write(res)
}

func (s *Server) search(w ldapserver.ResponseWriter, m *ldapserver.Message) {
	r := m.GetSearchRequest()
	s.mu.Lock()
	s.searches++
	entries := s.entries
	s.mu.Unlock()
	base := strings.ToLower(string(r.BaseObject()))
	if !strings.HasSuffix(strings.ToLower(s.BaseDN), base) && !strings.HasSuffix(base, strings.ToLower(s.BaseDN)) {
		w.Write(ldapserver.NewSearchResultDoneResponse(ldapserver.LDAPResultNoSuchObject))
		return
	}
	want := map[string]bool{}
	for _, a := range r.Attributes() {
		want[strings.ToLower(string(a))] = true
	}
	for _, e := range entries {
		if !strings.HasSuffix(strings.ToLower(e.DN), base) || !match(r.Filter(), e) {
			continue
		}
		out := ldapserver.NewSearchResultEntry(e.DN)
		for k, vs := range e.Attrs {
			if len(want) == 0 || want[strings.ToLower(k)] {
				out.AddAttribute(goldap.AttributeDescription(k), values(vs)...)
			}
		}
		w.Write(out)
	}
	w.Write(ldapserver.NewSearchResultDoneResponse(ldapserver.LDAPResultSuccess))
}

func values(vs []string) []goldap.AttributeValue {
	out := make([]goldap.AttributeValue, len(vs))
	for i, v := range vs {
		out[i] = goldap.AttributeValue(v)
	}
	return out
}

func attr(e Entry, name string) []string {
	for k, vs := range e.Attrs {
		if strings.EqualFold(k, name) {
			return vs
		}
	}
	return nil
}

func match(f goldap.Filter, e Entry) bool {
	switch f := f.(type) {
	case goldap.FilterAnd:
		for _, c := range f {
			if !match(c, e) {
				return false
			}
		}
		return true
	case goldap.FilterOr:
		for _, c := range f {
			if match(c, e) {
				return true
			}
		}
		return false
	case goldap.FilterNot:
		return !match(f.Filter, e)
	case goldap.FilterPresent:
		return strings.EqualFold(string(f), "objectClass") || len(attr(e, string(f))) > 0
	case goldap.FilterEqualityMatch:
		for _, v := range attr(e, string(f.AttributeDesc())) {
			if strings.EqualFold(v, string(f.AssertionValue())) {
				return true
			}
		}
		return false
	case goldap.FilterSubstrings:
		for _, v := range attr(e, string(f.Type_())) {
			if substrings(strings.ToLower(v), f) {
				return true
			}
		}
		return false
	}
	return false
}

func substrings(v string, f goldap.FilterSubstrings) bool {
	for _, part := range f.Substrings() {
		switch p := part.(type) {
		case goldap.SubstringInitial:
			if !strings.HasPrefix(v, strings.ToLower(string(p))) {
				return false
			}
			v = v[len(p):]
		case goldap.SubstringAny:
			i := strings.Index(v, strings.ToLower(string(p)))
			if i < 0 {
				return false
			}
			v = v[i+len(p):]
		case goldap.SubstringFinal:
			if !strings.HasSuffix(v, strings.ToLower(string(p))) {
				return false
			}
		}
	}
	return true
}
