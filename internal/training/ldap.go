package training

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-ldap/ldap/v3"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// ldapTimeout bounds the connection and each request to the directory.
const ldapTimeout = 30 * time.Second

// SyncLDAP reads the mapped groups' members from the LDAP directory and
// brings the employees in line (the IT Center's "sync now"; the job calls
// SyncDue). A directory that cannot be read changes nothing: the run is
// recorded with the reason.
func (s *Service) SyncLDAP(ctx context.Context) (*SyncRun, error) {
	p, err := s.itCenter(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	if d.LDAPURL == "" {
		return nil, errs.Invalid("ldap_url", "no LDAP server is configured")
	}
	if len(d.Groups) == 0 {
		return nil, errs.Invalid("groups", "map at least one directory group to a unit")
	}
	return s.syncLDAP(ctx, d, p.Email)
}

// SyncDue runs the LDAP sync when its interval has come (the
// directory-sync job; every sync_hours, never when 0).
func (s *Service) SyncDue(ctx context.Context) (*SyncRun, error) {
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	if d.LDAPURL == "" || d.SyncHours <= 0 || len(d.Groups) == 0 {
		return nil, nil
	}
	now := s.now()
	res, err := s.DB.Exec(ctx, `UPDATE training_directory SET next_sync_at = ? WHERE id = 1 AND next_sync_at <= ?`,
		store.Micros(now.Add(time.Duration(d.SyncHours)*time.Hour)), store.Micros(now))
	if err != nil {
		return nil, fmt.Errorf("training: sync due: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil // not due, or another hub process took it
	}
	ctx = auth.WithPrincipal(ctx, auth.System)
	return s.syncLDAP(ctx, d, "directory-sync job")
}

func (s *Service) syncLDAP(ctx context.Context, d *Directory, by string) (*SyncRun, error) {
	run, err := s.startRun(ctx, SourceLDAP, by)
	if err != nil {
		return nil, err
	}
	entries, failure := readLDAP(ctx, d)
	if failure != nil {
		if ferr := s.failRun(ctx, run, failure); ferr != nil {
			return nil, ferr
		}
		return run, nil
	}
	if err := s.applyDirectory(ctx, run, d, entries); err != nil {
		return nil, fmt.Errorf("training: sync: %w", err)
	}
	return run, nil
}

// readLDAP lists the members of every mapped group (paged, 500 a page).
// Any failure fails the whole read: a partial list would disable people
// who are still there.
func readLDAP(ctx context.Context, d *Directory) ([]DirectoryEntry, *SyncProblem) {
	dialer := &net.Dialer{Timeout: ldapTimeout}
	conn, err := ldap.DialURL(d.LDAPURL, ldap.DialWithDialer(dialer), ldap.DialWithTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12}))
	if err != nil {
		return nil, &SyncProblem{Code: ProblemUnreachable, Detail: d.LDAPURL + ": " + err.Error()}
	}
	defer conn.Close()
	conn.SetTimeout(ldapTimeout)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if d.BindDN != "" {
		if err := conn.Bind(d.BindDN, d.BindPassword); err != nil {
			return nil, &SyncProblem{Code: ProblemBind, Detail: d.BindDN + ": " + err.Error()}
		}
	} else if err := conn.UnauthenticatedBind(""); err != nil {
		return nil, &SyncProblem{Code: ProblemBind, Detail: "(anonymous): " + err.Error()}
	}
	attrs := []string{d.AttrEmail, d.AttrName, "cn", d.AttrPosition, d.AttrDepartment}
	byDN := map[string]*DirectoryEntry{}
	var order []string
	for _, g := range d.Groups {
		filter := "(&" + d.UserFilter + "(memberOf=" + ldap.EscapeFilter(g.Group) + "))"
		req := ldap.NewSearchRequest(d.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, int(ldapTimeout.Seconds()), false, filter, attrs, nil)
		res, err := conn.SearchWithPaging(req, 500)
		if err != nil {
			var le *ldap.Error
			if errors.As(err, &le) && le.ResultCode == ldap.LDAPResultNoSuchObject {
				return nil, &SyncProblem{Code: ProblemBaseDN, Detail: d.BaseDN}
			}
			return nil, &SyncProblem{Entry: g.Group, Code: ProblemSearch, Detail: err.Error()}
		}
		for _, e := range res.Entries {
			de := byDN[e.DN]
			if de == nil {
				name := e.GetAttributeValue(d.AttrName)
				if name == "" {
					name = e.GetAttributeValue("cn")
				}
				de = &DirectoryEntry{ID: e.DN, Email: e.GetAttributeValue(d.AttrEmail), Name: name,
					Position: e.GetAttributeValue(d.AttrPosition), Department: e.GetAttributeValue(d.AttrDepartment)}
				byDN[e.DN] = de
				order = append(order, e.DN)
			}
			de.Groups = append(de.Groups, g.Group)
		}
	}
	out := make([]DirectoryEntry, 0, len(order))
	for _, dn := range order {
		out = append(out, *byDN[dn])
	}
	return out, nil
}
