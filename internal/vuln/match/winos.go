package match

import (
	"regexp"
	"strconv"
	"strings"

	"vigil/internal/asset"
)

// WinOS is a Windows release as MSRC names its products: the family
// ("server 2019", "10", "11", "server 2012 r2"), the feature release for
// Windows 10/11 and Server 2022's 23H2 edition ("22h2"), the architecture
// ("x64", "32", "arm64") and whether it is a Server Core installation.
// Two WinOS values are equal when they name the same MSRC product.
type WinOS struct {
	Family  string
	Release string
	Arch    string
	Core    bool
}

func (w WinOS) String() string {
	s := "Windows " + w.Family
	if w.Release != "" {
		s += " " + w.Release
	}
	return s + " " + w.Arch
}

// releaseByBuild maps a Windows 10/11 (and Server) build number to its
// feature release as MSRC names it. Servers share builds with clients
// (Server 2016 = 1607, Server 2019 = 1809); the name tells them apart.
var releaseByBuild = map[int]string{
	10240: "1507", 10586: "1511", 14393: "1607", 15063: "1703", 16299: "1709", 17134: "1803",
	17763: "1809", 18362: "1903", 18363: "1909", 19041: "2004", 19042: "20h2", 19043: "21h1",
	19044: "21h2", 19045: "22h2",
	// Windows 11
	22000: "21h2", 22621: "22h2", 22631: "23h2", 26100: "24h2",
}

// serverByBuild names the Windows Server release of a build when the
// product name does not (an inventory with only a version number).
var serverByBuild = map[int]string{
	7601: "server 2008 r2", 9200: "server 2012", 9600: "server 2012 r2", 14393: "server 2016",
	17763: "server 2019", 20348: "server 2022", 25398: "server 2022 23h2",
}

var (
	reFamily  = regexp.MustCompile(`windows (server (?:2008|2012|2016|2019|2022|2025)(?: r2)?|10|11|8\.1|7|rt 8\.1)\b`)
	reRelease = regexp.MustCompile(`\bversion (\d{4}|\d\dh\d)\b`)
	reEdition = regexp.MustCompile(`\b(\d\dh\d) edition\b`)
)

func archOf(s string) string {
	s = strings.ToLower(s)
	switch {
	case strings.Contains(s, "arm64") || strings.Contains(s, "aarch64") || strings.Contains(s, "arm 64"):
		return "arm64"
	case strings.Contains(s, "x64") || strings.Contains(s, "amd64") || strings.Contains(s, "x86_64") || strings.Contains(s, "64-bit") || strings.Contains(s, "64 bit") || s == "64":
		return "x64"
	case strings.Contains(s, "32-bit") || strings.Contains(s, "x86") || strings.Contains(s, "386") || strings.Contains(s, "686") || s == "32":
		return "32"
	}
	return ""
}

// ParseMSRCName reads an MSRC Windows product name ("Windows 10 Version
// 22H2 for x64-based Systems", "Windows Server 2019 (Server Core
// installation)", "Windows Server 2022, 23H2 Edition (Server Core
// installation)"). ok is false for anything that is not Windows itself.
func ParseMSRCName(name string) (WinOS, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	if !strings.HasPrefix(n, "windows ") {
		return WinOS{}, false
	}
	m := reFamily.FindStringSubmatch(n)
	if m == nil {
		return WinOS{}, false
	}
	w := WinOS{Family: m[1], Core: strings.Contains(n, "server core")}
	if r := reRelease.FindStringSubmatch(n); r != nil {
		w.Release = r[1]
	} else if r := reEdition.FindStringSubmatch(n); r != nil {
		w.Release = r[1]
	}
	if w.Family == "10" && w.Release == "" {
		w.Release = "1507" // "Windows 10 for x64-based Systems" is the first release
	}
	w.Arch = archOf(n)
	if w.Arch == "" {
		w.Arch = "x64" // servers from 2008 R2 on are 64-bit only; MSRC names no architecture
	}
	return w, true
}

// Build is a Windows build: the build number (17763) and the update build
// revision that cumulative updates raise (5206 in 10.0.17763.5206).
type Build struct {
	Number   int
	Revision int
}

// ParseBuild reads "17763.5329", "10.0.17763.5329", "10.0.17763" or
// "6.3.9600.21620". A missing revision is 0.
func ParseBuild(s string) (Build, bool) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	var nums []int
	for _, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 {
			return Build{}, false
		}
		nums = append(nums, n)
	}
	switch len(nums) {
	case 1:
		return Build{Number: nums[0]}, nums[0] > 0
	case 2:
		return Build{Number: nums[0], Revision: nums[1]}, true
	case 3: // 10.0.17763
		return Build{Number: nums[2]}, true
	case 4:
		return Build{Number: nums[2], Revision: nums[3]}, true
	}
	return Build{}, false
}

// HostBuild is the build an inventory reports: OS.Build ("17763.5329") or,
// without it, OS.Version ("10.0.17763").
func HostBuild(os asset.OS) Build {
	if b, ok := ParseBuild(os.Build); ok && b.Number > 1000 {
		if b.Revision == 0 {
			if v, ok := ParseBuild(os.Version); ok && v.Number == b.Number {
				b.Revision = v.Revision
			}
		}
		return b
	}
	if b, ok := ParseBuild(os.Version); ok {
		return b
	}
	return Build{}
}

// IdentifyWindows says which MSRC Windows product a host runs, from its OS
// name, version, build and architecture as the agent and the importers
// record them ("Microsoft Windows Server 2019 Standard", "10.0.17763",
// "17763.5329", "amd64"). ok is false for non-Windows hosts and for
// Windows releases it cannot name; why names what it could not ("Windows 10
// build 12345").
func IdentifyWindows(os asset.OS) (w WinOS, why string, ok bool) {
	n := strings.ToLower(os.Name)
	if !strings.Contains(n, "windows") && os.Family != "windows" {
		return WinOS{}, "", false
	}
	b := HostBuild(os)
	if m := reFamily.FindStringSubmatch(n); m != nil {
		w.Family = m[1]
	} else if strings.Contains(n, "server") {
		w.Family = serverByBuild[b.Number]
	}
	if w.Family == "" && b.Number >= 10240 {
		w.Family = "10"
	}
	switch {
	case w.Family == "10" && b.Number >= 22000:
		w.Family = "11" // some tools call Windows 11 "Windows 10"
	case w.Family == "server 2022" && b.Number == 25398:
		w.Family, w.Release = "server 2022", "23h2"
	}
	if w.Family == "" {
		return WinOS{}, strings.TrimSpace(os.Name + " " + os.Version), false
	}
	if w.Family == "10" || w.Family == "11" {
		w.Release = releaseByBuild[b.Number]
		if w.Release == "" {
			return WinOS{}, "Windows " + w.Family + " build " + strconv.Itoa(b.Number), false
		}
	}
	w.Core = strings.Contains(n, "core")
	w.Arch = archOf(os.Arch)
	if w.Arch == "" {
		w.Arch = archOf(n)
	}
	if w.Arch == "" {
		w.Arch = "x64"
	}
	if strings.HasPrefix(w.Family, "server") && w.Family != "server 2008" {
		w.Arch = "x64"
	}
	return w, "", true
}
