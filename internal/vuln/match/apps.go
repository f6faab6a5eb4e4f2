package match

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"vigil/internal/asset"
)

// Microsoft applications MSRC covers, recognised from the installed
// programs of an inventory:
//
//   - .NET and ASP.NET Core runtimes 6/7/8 and .NET Core 3.1 (Windows
//     programs "Microsoft .NET Runtime - 6.0.25 (x64)", Linux packages
//     dotnet-runtime-6.0, aspnetcore-runtime-6.0): closed when the runtime
//     version reaches MSRC's fixed build;
//   - Exchange Server 2013/2016/2019 by cumulative update ("Microsoft
//     Exchange Server 2019 Cumulative Update 13"): closed by the KB (listed
//     as a hotfix or in a program name) or a version at the fixed build;
//   - SQL Server 2014–2022 ("SQL Server 2019 Database Engine Services"
//     15.0.4322.2): GDR or CU branch by build, closed by version;
//   - .NET Framework 4.7.2/4.8/4.8.1 on the host's Windows: closed by KB.
//
// Office is not checked: MSRC publishes no fixed build for Click-to-Run
// (Microsoft 365 Apps, Office 2019/2021) and Office's MSI updates are not
// in the Windows hotfix list; such hosts get a note saying so.

var (
	reDotnetWin = regexp.MustCompile(`(?i)^Microsoft (ASP\.NET Core|\.NET(?: Core)? Runtime|Windows Desktop Runtime|\.NET Host)\b.*?\b(\d+)\.(\d+)\.(\d+)`)
	reDotnetPkg = regexp.MustCompile(`^(dotnet-runtime|aspnetcore-runtime|dotnet-host|dotnet-hostfxr)-(\d+)\.(\d+)$`)
	reExchange  = regexp.MustCompile(`(?i)^Microsoft Exchange Server (2013|2016|2019) Cumulative Update (\d+)`)
	reSQL       = regexp.MustCompile(`(?i)^(?:Microsoft )?SQL Server (2012|2014|2016|2017|2019|2022) Database Engine Services`)
	reOffice    = regexp.MustCompile(`(?i)^Microsoft (Office|365 Apps)\b`)
	reNetFx     = regexp.MustCompile(`(?i)^Microsoft \.NET Framework (4\.8\.1|4\.8|4\.7\.2)\b`)
	reCUNumber  = regexp.MustCompile(`\(cu (\d+)\)`)
)

// sqlCUFrom is the lowest third version component of a CU-branch build;
// GDR builds are below it.
var sqlCUFrom = map[string]int{"2017": 3000, "2019": 4000, "2022": 4000}

func (ix *Index) appTargets(inv *asset.Inventory) (out []target, ms map[int]bool, notes []Note) {
	ms = map[int]bool{}
	seen := map[string]bool{}
	add := func(i int, id, version string) {
		ms[i] = true
		if !seen[id] {
			seen[id] = true
			out = append(out, target{id: id, version: version, installed: version})
		}
	}
	office := false
	for i, s := range inv.Software {
		if !microsoftName(s.Name) {
			continue // the expressions below are case-insensitive: test cheaply first
		}
		if m := reDotnetWin.FindStringSubmatch(s.Name); m != nil {
			name := ".NET " + m[2] + "." + m[3]
			if strings.EqualFold(m[1], "ASP.NET Core") {
				name = "ASP.NET Core " + m[2] + "." + m[3]
			} else if m[2] == "3" {
				name = ".NET Core " + m[2] + "." + m[3]
			}
			for _, id := range ix.byName[strings.ToLower(name)] {
				add(i, id, m[2]+"."+m[3]+"."+m[4])
			}
			continue
		}
		if m := reDotnetPkg.FindStringSubmatch(s.Name); m != nil && (s.Source == asset.SoftwareDpkg || s.Source == asset.SoftwareRPM) {
			name := ".NET " + m[2] + "." + m[3]
			if m[1] == "aspnetcore-runtime" {
				name = "ASP.NET Core " + m[2] + "." + m[3]
			}
			for _, id := range ix.byName[strings.ToLower(name)] {
				add(i, id, Upstream(s.Version, s.Source))
			}
			continue
		}
		if m := reExchange.FindStringSubmatch(s.Name); m != nil {
			name := "microsoft exchange server " + m[1] + " cumulative update " + m[2]
			ids := ix.byName[name]
			if len(ids) == 0 {
				notes = append(notes, Note{Code: NoteExchange, Subject: "Exchange Server " + m[1] + " CU" + m[2]})
			}
			for _, id := range ids {
				add(i, id, s.Version)
			}
			continue
		}
		if m := reSQL.FindStringSubmatch(s.Name); m != nil {
			for _, id := range ix.sqlProducts(m[1], s.Version, s.Arch) {
				add(i, id, s.Version)
			}
			if !ms[i] {
				notes = append(notes, Note{Code: NoteSQL, Subject: "SQL Server " + m[1] + " " + s.Version})
			}
			continue
		}
		if m := reNetFx.FindStringSubmatch(s.Name); m != nil {
			if w, _, ok := IdentifyWindows(inv.OS); ok {
				for _, wid := range ix.WindowsProducts(w) {
					wn := strings.ToLower(ix.productName[wid])
					ids := ix.byName["microsoft .net framework 3.5 and "+m[1]+" on "+wn]
					if len(ids) == 0 {
						ids = ix.byName["microsoft .net framework "+m[1]+" on "+wn]
					}
					for _, id := range ids {
						add(i, id, "")
					}
				}
			}
			continue
		}
		if reOffice.MatchString(s.Name) && !office {
			office = true
			notes = append(notes, Note{Code: NoteOffice, Subject: s.Name})
		}
	}
	return out, ms, notes
}

// microsoftName reports whether a program or package name can be one of
// the Microsoft products above: "Microsoft …", "SQL Server …", "dotnet-…",
// "aspnetcore-…".
func microsoftName(n string) bool {
	if len(n) < 6 {
		return false
	}
	switch n[0] {
	case 'M', 'm':
		return len(n) >= 10 && strings.EqualFold(n[:10], "microsoft ")
	case 'S', 's':
		return strings.EqualFold(n[:4], "sql ")
	case 'd':
		return strings.HasPrefix(n, "dotnet-")
	case 'a':
		return strings.HasPrefix(n, "aspnetcore-")
	}
	return false
}

// sqlProducts picks the MSRC products of a SQL Server installation: the
// GDR or the newest CU branch of its release, by build.
func (ix *Index) sqlProducts(year, version, arch string) []string {
	prefix := "microsoft sql server " + year + " "
	x64 := archOf(arch) != "32"
	var gdr, cu []string
	cuN := map[string]int{}
	for name, ids := range ix.byName {
		if !strings.HasPrefix(name, prefix) || strings.Contains(name, "azure connect") {
			continue
		}
		if (strings.Contains(name, "x64") || strings.Contains(name, "x64-based")) != x64 {
			continue
		}
		if m := reCUNumber.FindStringSubmatch(name); m != nil {
			n, _ := strconv.Atoi(m[1])
			for _, id := range ids {
				cuN[id] = n
				cu = append(cu, id)
			}
		} else {
			gdr = append(gdr, ids...)
		}
	}
	parts := strings.Split(version, ".")
	third := 0
	if len(parts) >= 3 {
		third, _ = strconv.Atoi(parts[2])
	}
	from, split := sqlCUFrom[year]
	if !split {
		return append(gdr, cu...)
	}
	if third < from || len(cu) == 0 {
		return gdr
	}
	sort.Slice(cu, func(i, j int) bool { return cuN[cu[i]] > cuN[cu[j]] })
	return cu[:1]
}
