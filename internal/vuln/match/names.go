package match

import (
	"regexp"
	"strings"

	"vigil/internal/asset"
)

// CPEName is an NVD product: CPE 2.3 vendor and product.
type CPEName struct {
	Vendor  string
	Product string
}

func (c CPEName) String() string { return c.Vendor + ":" + c.Product }

// The name → CPE table. It is small on purpose: a package is only matched
// against NVD when a person has said which NVD product it is, so a match
// is never a guess on a similar name. Everything else is counted and
// listed as "not mapped" on the host.

// packageCPE maps Debian/Ubuntu and RHEL package names (exact) to NVD
// products.
var packageCPE = map[string][]CPEName{
	"openssl": {{"openssl", "openssl"}}, "libssl3": {{"openssl", "openssl"}}, "libssl1.1": {{"openssl", "openssl"}}, "libssl3t64": {{"openssl", "openssl"}},
	"openssl-libs":   {{"openssl", "openssl"}},
	"openssh-server": {{"openbsd", "openssh"}}, "openssh-client": {{"openbsd", "openssh"}}, "openssh": {{"openbsd", "openssh"}}, "openssh-clients": {{"openbsd", "openssh"}},
	"apache2": {{"apache", "http_server"}}, "apache2-bin": {{"apache", "http_server"}}, "httpd": {{"apache", "http_server"}},
	"nginx": {{"f5", "nginx"}, {"nginx", "nginx"}}, "nginx-core": {{"f5", "nginx"}, {"nginx", "nginx"}}, "nginx-full": {{"f5", "nginx"}, {"nginx", "nginx"}},
	"mysql-server": {{"oracle", "mysql"}}, "mysql-server-8.0": {{"oracle", "mysql"}}, "mysql-server-core-8.0": {{"oracle", "mysql"}}, "mysql-community-server": {{"oracle", "mysql"}},
	"mariadb-server": {{"mariadb", "mariadb"}}, "mariadb-server-core": {{"mariadb", "mariadb"}},
	"postgresql": {{"postgresql", "postgresql"}}, "postgresql-server": {{"postgresql", "postgresql"}},
	"postgresql-13": {{"postgresql", "postgresql"}}, "postgresql-14": {{"postgresql", "postgresql"}}, "postgresql-15": {{"postgresql", "postgresql"}}, "postgresql-16": {{"postgresql", "postgresql"}},
	"bind9": {{"isc", "bind"}}, "bind": {{"isc", "bind"}},
	"sudo": {{"sudo_project", "sudo"}},
	"curl": {{"haxx", "curl"}}, "libcurl4": {{"haxx", "libcurl"}, {"haxx", "curl"}}, "libcurl3-gnutls": {{"haxx", "libcurl"}, {"haxx", "curl"}}, "libcurl": {{"haxx", "libcurl"}, {"haxx", "curl"}},
	"git": {{"git-scm", "git"}},
	"vim": {{"vim", "vim"}}, "vim-common": {{"vim", "vim"}}, "vim-minimal": {{"vim", "vim"}},
	"bash":  {{"gnu", "bash"}},
	"libc6": {{"gnu", "glibc"}}, "glibc": {{"gnu", "glibc"}},
	"samba": {{"samba", "samba"}},
	"php":   {{"php", "php"}}, "php8.1": {{"php", "php"}}, "php8.2": {{"php", "php"}}, "php7.4": {{"php", "php"}},
	"tomcat9": {{"apache", "tomcat"}}, "tomcat10": {{"apache", "tomcat"}}, "tomcat": {{"apache", "tomcat"}},
	"redis-server": {{"redis", "redis"}}, "redis": {{"redis", "redis"}},
	"exim4": {{"exim", "exim"}}, "exim4-base": {{"exim", "exim"}}, "postfix": {{"postfix", "postfix"}},
	"dnsmasq": {{"thekelleys", "dnsmasq"}}, "dnsmasq-base": {{"thekelleys", "dnsmasq"}},
	"openvpn": {{"openvpn", "openvpn"}}, "squid": {{"squid-cache", "squid"}}, "haproxy": {{"haproxy", "haproxy"}},
	"clamav": {{"clamav", "clamav"}}, "zlib1g": {{"zlib", "zlib"}}, "zlib": {{"zlib", "zlib"}},
	"libxml2": {{"xmlsoft", "libxml2"}}, "libexpat1": {{"libexpat_project", "libexpat"}}, "expat": {{"libexpat_project", "libexpat"}},
	"sqlite3": {{"sqlite", "sqlite"}}, "libsqlite3-0": {{"sqlite", "sqlite"}}, "sqlite": {{"sqlite", "sqlite"}}, "sqlite-libs": {{"sqlite", "sqlite"}},
	"libwebp7": {{"webmproject", "libwebp"}}, "libwebp": {{"webmproject", "libwebp"}},
	"systemd": {{"systemd_project", "systemd"}}, "policykit-1": {{"polkit_project", "polkit"}}, "polkit": {{"polkit_project", "polkit"}},
	"slapd": {{"openldap", "openldap"}}, "openldap-servers": {{"openldap", "openldap"}},
	"rsync": {{"samba", "rsync"}}, "tar": {{"gnu", "tar"}}, "perl": {{"perl", "perl"}}, "nodejs": {{"nodejs", "node.js"}},
	"containerd": {{"linuxfoundation", "containerd"}}, "containerd.io": {{"linuxfoundation", "containerd"}}, "runc": {{"linuxfoundation", "runc"}},
	"firefox": {{"mozilla", "firefox"}}, "firefox-esr": {{"mozilla", "firefox_esr"}}, "thunderbird": {{"mozilla", "thunderbird"}},
	"chromium": {{"google", "chrome"}}, "libreoffice-core": {{"libreoffice", "libreoffice"}}, "libreoffice": {{"libreoffice", "libreoffice"}},
	"python3.9": {{"python", "python"}}, "python3.10": {{"python", "python"}}, "python3.11": {{"python", "python"}}, "python3.12": {{"python", "python"}}, "python3": {{"python", "python"}},
	"zabbix-agent": {{"zabbix", "zabbix"}}, "zabbix-server-mysql": {{"zabbix", "zabbix"}},
}

// rePackageCPE maps families of package names (versioned names) to NVD
// products.
var rePackageCPE = []struct {
	prefix string // a cheap test before the expression
	re     *regexp.Regexp
	cpe    []CPEName
}{
	{"openjdk-", regexp.MustCompile(`^openjdk-\d+-(jre|jdk)(-headless)?$`), []CPEName{{"oracle", "openjdk"}}},
	{"java-", regexp.MustCompile(`^java-\d+(\.\d+)*-openjdk(-headless|-devel)?$`), []CPEName{{"oracle", "openjdk"}}},
	{"linux-image-", regexp.MustCompile(`^linux-image-\d.*$`), []CPEName{{"linux", "linux_kernel"}}},
	{"kernel", regexp.MustCompile(`^kernel(-core)?$`), []CPEName{{"linux", "linux_kernel"}}},
}

// programCPE maps Windows program names (the Uninstall key's DisplayName,
// lower-cased, by prefix) to NVD products. Longer prefixes come first.
var programCPE = []struct {
	prefix string
	cpe    []CPEName
}{
	{"7-zip", []CPEName{{"7-zip", "7-zip"}, {"igor_pavlov", "7-zip"}}},
	{"google chrome", []CPEName{{"google", "chrome"}}},
	{"mozilla firefox esr", []CPEName{{"mozilla", "firefox_esr"}}},
	{"mozilla firefox", []CPEName{{"mozilla", "firefox"}}},
	{"mozilla thunderbird", []CPEName{{"mozilla", "thunderbird"}}},
	{"adobe acrobat reader", []CPEName{{"adobe", "acrobat_reader_dc"}, {"adobe", "acrobat_reader"}}},
	{"adobe acrobat dc", []CPEName{{"adobe", "acrobat_dc"}}},
	{"adobe acrobat", []CPEName{{"adobe", "acrobat"}, {"adobe", "acrobat_dc"}}},
	{"winrar", []CPEName{{"rarlab", "winrar"}}},
	{"notepad++", []CPEName{{"notepad-plus-plus", `notepad\+\+`}, {"notepad-plus-plus", "notepad++"}}},
	{"vlc media player", []CPEName{{"videolan", "vlc_media_player"}}},
	{"putty", []CPEName{{"putty", "putty"}, {"simon_tatham", "putty"}}},
	{"wireshark", []CPEName{{"wireshark", "wireshark"}}},
	{"filezilla client", []CPEName{{"filezilla-project", "filezilla_client"}}},
	{"winscp", []CPEName{{"winscp", "winscp"}}},
	{"teamviewer", []CPEName{{"teamviewer", "teamviewer"}}},
	{"anydesk", []CPEName{{"anydesk", "anydesk"}}},
	{"foxit pdf reader", []CPEName{{"foxit", "pdf_reader"}}},
	{"foxit reader", []CPEName{{"foxit", "pdf_reader"}, {"foxit", "reader"}}},
	{"java(tm) se development kit", []CPEName{{"oracle", "jdk"}}},
	{"java se development kit", []CPEName{{"oracle", "jdk"}}},
	{"java ", []CPEName{{"oracle", "jre"}}},
	{"openjdk", []CPEName{{"oracle", "openjdk"}}},
	{"eclipse temurin", []CPEName{{"oracle", "openjdk"}}},
	{"microsoft edge", []CPEName{{"microsoft", "edge_chromium"}}},
	{"openssl", []CPEName{{"openssl", "openssl"}}},
	{"openssh", []CPEName{{"openbsd", "openssh"}}},
	{"apache http server", []CPEName{{"apache", "http_server"}}},
	{"nginx", []CPEName{{"f5", "nginx"}, {"nginx", "nginx"}}},
	{"mysql server", []CPEName{{"oracle", "mysql"}}},
	{"postgresql", []CPEName{{"postgresql", "postgresql"}}},
	{"node.js", []CPEName{{"nodejs", "node.js"}}},
	{"python 3", []CPEName{{"python", "python"}}},
	{"git version", []CPEName{{"git-scm", "git"}}},
	{"libreoffice", []CPEName{{"libreoffice", "libreoffice"}}},
	{"keepass", []CPEName{{"keepass", "keepass"}}},
	{"zoom", []CPEName{{"zoom", "meetings"}, {"zoom", "zoom"}}},
	{"openvpn", []CPEName{{"openvpn", "openvpn"}}},
}

// exactProgramCPE maps whole program names (lower-cased) that are too
// short to match by prefix.
var exactProgramCPE = map[string][]CPEName{
	"git": {{"git-scm", "git"}},
}

// LookupCPE names the NVD products of an installed package, or nil when
// the table does not know it.
func LookupCPE(s asset.Software) []CPEName {
	name := strings.TrimSpace(s.Name)
	switch s.Source {
	case asset.SoftwareDpkg, asset.SoftwareRPM:
		n := name
		if i := strings.IndexByte(n, ':'); i > 0 { // "libssl3:amd64"
			n = n[:i]
		}
		if c, ok := packageCPE[n]; ok {
			return c
		}
		if hasUpper(n) {
			if c, ok := packageCPE[strings.ToLower(n)]; ok {
				return c
			}
		}
		for _, r := range rePackageCPE {
			if strings.HasPrefix(n, r.prefix) && r.re.MatchString(n) {
				return r.cpe
			}
		}
		return nil
	}
	if len(name) <= 3 {
		if c, ok := exactProgramCPE[strings.ToLower(name)]; ok {
			return c
		}
	}
	if s.Source != asset.SoftwareRegistry && s.Source != asset.SoftwareRegWOW && s.Source != asset.SoftwareRegUser {
		if c, ok := packageCPE[strings.ToLower(name)]; ok {
			return c // osquery/import rows of Linux packages
		}
	}
	// Prefixes compared without lower-casing the name (no allocation: a
	// fleet has millions of program rows).
	for _, r := range programCPE {
		if len(name) >= len(r.prefix) && strings.EqualFold(name[:len(r.prefix)], r.prefix) {
			return r.cpe
		}
	}
	return nil
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}
