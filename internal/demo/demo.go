// Package demo loads a believable demo organisation into an empty or
// existing hub: headquarters and its IT Center, service units, the 63
// provinces by their real names with a few districts each, invented
// contacts and demo accounts. Loading twice changes nothing.
package demo

import (
	"context"
	"fmt"
	"strings"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/org"
)

// Password is the password of every demo account, printed by `vigil serve
// --demo`; demo hubs are for looking around, never for real data.
const Password = "demo-vigil-2024"

// Account is a demo login.
type Account struct {
	Email string
	Role  auth.Role
	Unit  string
}

// Accounts are the demo logins created besides the administrator.
var Accounts = []Account{
	{"soc@demo.vigil.local", auth.RoleAnalyst, "TTCNTT"},
	{"attt.hanoi@demo.vigil.local", auth.RoleOfficer, "T01"},
	{"attt.danang@demo.vigil.local", auth.RoleOfficer, "T48"},
	{"lanhdao@demo.vigil.local", auth.RoleViewer, org.RootCode},
}

// Result counts what Load created.
type Result struct {
	Units, Contacts, Users int
}

// Load creates the demo organisation under the root unit. Existing units,
// contacts and users are left as they are.
func Load(ctx context.Context, svc *org.Service) (*Result, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	root, err := svc.EnsureRoot(ctx)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	ensure := func(in org.UnitInput) error {
		if _, err := svc.GetUnit(ctx, in.Code); err == nil {
			return nil
		} else if errs.Code(err) != errs.ENOTFOUND {
			return err
		}
		if _, err := svc.CreateUnit(ctx, in); err != nil {
			return fmt.Errorf("demo: unit %s: %w", in.Code, err)
		}
		res.Units++
		return nil
	}
	for _, su := range serviceUnits {
		if err := ensure(org.UnitInput{Code: su.Code, Name: su.Name, Kind: su.Kind, Parent: root.Code}); err != nil {
			return nil, err
		}
	}
	for _, p := range provinces {
		code := "T" + p.Code
		name := "Bảo hiểm xã hội tỉnh " + p.Name
		if p.City {
			name = "Bảo hiểm xã hội thành phố " + p.Name
		}
		if err := ensure(org.UnitInput{Code: code, Name: name, Kind: org.KindProvince, Parent: root.Code}); err != nil {
			return nil, err
		}
		for i, d := range p.Districts {
			if err := ensure(org.UnitInput{Code: fmt.Sprintf("%s-%02d", code, i+1), Name: "Bảo hiểm xã hội " + districtName(d), Kind: org.KindDistrict, Parent: code}); err != nil {
				return nil, err
			}
		}
	}
	// Contacts: two per province and service unit, invented.
	n := 0
	for _, code := range contactUnits() {
		existing, err := svc.ListContacts(ctx, code)
		if err != nil {
			return nil, err
		}
		if len(existing) > 0 {
			continue
		}
		for j := 0; j < 2; j++ {
			in := org.ContactInput{
				Name:     demoFamily[n%len(demoFamily)] + " " + demoMiddle[(n/3)%len(demoMiddle)] + " " + demoGiven[(n*7)%len(demoGiven)],
				Position: demoPositions[j%len(demoPositions)],
				Phone:    fmt.Sprintf("0900 %03d %03d", (n*37)%1000, (n*91+j)%1000),
				Email:    fmt.Sprintf("attt.%s.%d@demo.vigil.local", strings.ToLower(code), j+1),
			}
			if _, err := svc.AddContact(ctx, code, in); err != nil {
				return nil, fmt.Errorf("demo: contact for %s: %w", code, err)
			}
			res.Contacts++
			n++
		}
	}
	for i, a := range Accounts {
		users, _, err := svc.ListUsers(ctx, org.UserFilter{Query: a.Email, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(users) > 0 {
			continue
		}
		name := demoFamily[(i+3)%len(demoFamily)] + " " + demoMiddle[i%len(demoMiddle)] + " " + demoGiven[(i*5+2)%len(demoGiven)]
		if _, err := svc.CreateUser(ctx, org.UserInput{Email: a.Email, Name: name, Password: Password, Role: string(a.Role), Unit: a.Unit}); err != nil {
			return nil, fmt.Errorf("demo: user %s: %w", a.Email, err)
		}
		res.Users++
	}
	return res, nil
}

func contactUnits() []string {
	out := []string{"TTCNTT"}
	for _, p := range provinces {
		out = append(out, "T"+p.Code)
	}
	return out
}

func districtName(d string) string {
	prefix, rest, _ := strings.Cut(d, " ")
	switch prefix {
	case "q":
		return "quận " + rest
	case "tp":
		return "thành phố " + rest
	case "tx":
		return "thị xã " + rest
	}
	return "huyện " + rest
}
