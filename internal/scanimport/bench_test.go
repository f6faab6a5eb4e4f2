package scanimport_test

import (
	"bufio"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/org"
	"vigil/internal/scanimport"
	"vigil/internal/store/storetest"
)

// The benchmark's .nessus is GENERATED, not a real scan: it repeats the
// shape of the shared sample nessus_v_unknown.xml (a policy block, then
// hosts with HostProperties tags and ReportItems; about 3 KB an item, one
// item in ten graded low to critical, graded ones naming one to four
// CVEs and CVSS scores, the rest informational with long plugin output),
// over enough hosts to reach the size asked for. Same seed, same file.
func genNessus(w io.Writer, size int64) (items, graded int) {
	bw := bufio.NewWriterSize(w, 1<<20)
	defer bw.Flush()
	rng := rand.New(rand.NewPCG(11, 2026))
	filler := func(n int) string {
		words := []string{"the", "remote", "host", "is", "running", "a", "version", "of", "service", "that", "is", "affected", "by", "multiple", "vulnerabilities", "according", "to", "its", "banner", "an", "attacker", "can", "exploit", "this", "issue", "&lt;", "&amp;", "server", "update"}
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte(' ')
		}
		return b.String()
	}
	var written int64
	write := func(s string) { n, _ := bw.WriteString(s); written += int64(n) }
	write(`<?xml version="1.0" ?>` + "\n<NessusClientData_v2>\n<Policy><policyName>Internal Network Scan</policyName><Preferences><ServerPreferences><preference><name>plugin_set</name><value>" + strings.Repeat("16775;16066;25451;", 500) + "</value></preference></ServerPreferences></Preferences></Policy>\n<Report name=\"generated\">\n")
	sev := []string{"1", "2", "2", "3", "3", "4"}
	host := 0
	for written < size {
		host++
		ip := fmt.Sprintf("10.%d.%d.%d", host/65536%256, host/256%256, host%256)
		write(fmt.Sprintf("<ReportHost name=\"%s\"><HostProperties>\n<tag name=\"HOST_END\">Mon Jul  1 10:%02d:42 2013</tag>\n<tag name=\"operating-system\">Microsoft Windows Server 2008 R2 Standard Service Pack 1</tag>\n<tag name=\"host-ip\">%s</tag>\n<tag name=\"host-fqdn\">srv%05d.generated.test</tag>\n<tag name=\"netbios-name\">SRV%05d</tag>\n<tag name=\"HOST_START\">Mon Jul  1 10:00:42 2013</tag>\n</HostProperties>\n", ip, host%60, ip, host, host))
		for i := 0; i < 40 && written < size; i++ {
			items++
			port := []string{"0", "445", "3389", "80", "443", "135"}[rng.IntN(6)]
			s := "0"
			if rng.IntN(10) == 0 {
				s = sev[rng.IntN(len(sev))]
				graded++
			}
			write(fmt.Sprintf("<ReportItem port=\"%s\" svc_name=\"svc\" protocol=\"tcp\" severity=\"%s\" pluginID=\"%d\" pluginName=\"Generated check %d\" pluginFamily=\"Windows\">\n", port, s, 10000+rng.IntN(90000), i))
			write("<description>" + filler(1200+rng.IntN(600)) + "</description>\n<fname>generated.nasl</fname>\n<plugin_modification_date>2013/05/31</plugin_modification_date>\n<plugin_type>remote</plugin_type>\n")
			if s != "0" {
				write("<risk_factor>High</risk_factor>\n<cvss_base_score>7.5</cvss_base_score>\n<cvss_vector>CVSS2#AV:N/AC:L/Au:N/C:P/I:P/A:P</cvss_vector>\n<cvss3_base_score>8.1</cvss3_base_score>\n")
				for c := 0; c < 1+rng.IntN(4); c++ {
					write(fmt.Sprintf("<cve>CVE-20%02d-%d</cve>\n", 10+rng.IntN(14), 1000+rng.IntN(40000)))
				}
			} else {
				write("<risk_factor>None</risk_factor>\n")
			}
			write("<solution>n/a</solution>\n<synopsis>" + filler(120) + "</synopsis>\n<plugin_output>Installed version : 1.2.3\nFixed version : 1.2.4\n" + filler(500+rng.IntN(800)) + "</plugin_output>\n</ReportItem>\n")
		}
		write("</ReportHost>\n")
	}
	write("</Report>\n</NessusClientData_v2>\n")
	return items, graded
}

// benchFile writes (once) the generated report of size bytes.
func benchFile(b *testing.B, size int64) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("vigil-bench-%dm.nessus", size>>20))
	if st, err := os.Stat(path); err == nil && st.Size() >= size {
		return path
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	genNessus(f, size)
	f.Close()
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return path
}

// TestWriteBenchNessus writes the generated report for scripts/bench-scans.sh
// (VIGIL_BENCH_NESSUS=path); skipped otherwise.
func TestWriteBenchNessus(t *testing.T) {
	out := os.Getenv("VIGIL_BENCH_NESSUS")
	if out == "" {
		t.Skip("VIGIL_BENCH_NESSUS not set")
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, graded := genNessus(f, 64<<20)
	t.Logf("%s: %d ReportItems, %d graded", out, items, graded)
}

// peak samples the heap in use while fn runs.
func peak(fn func()) (peakBytes uint64) {
	var stop atomic.Bool
	done := make(chan uint64)
	go func() {
		var m runtime.MemStats
		var top uint64
		for !stop.Load() {
			runtime.ReadMemStats(&m)
			top = max(top, m.HeapInuse)
			time.Sleep(5 * time.Millisecond)
		}
		done <- top
	}()
	fn()
	stop.Store(true)
	return <-done
}

// referenceCount is the independent reference: the standard library's
// encoding/xml tokenizer counting the ReportItems that carry a <cve>, the
// same streaming read the importer does before any of its own work.
func referenceCount(r io.Reader) (items, withCVE int) {
	d := xml.NewDecoder(r)
	inItem, has := false, false
	for {
		tok, err := d.Token()
		if err != nil {
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "ReportItem":
				inItem, has = true, false
				items++
			case "cve":
				if inItem && !has {
					has = true
					withCVE++
				}
			}
		case xml.EndElement:
			if t.Name.Local == "ReportItem" {
				inItem = false
			}
		}
	}
}

type countSink struct{ recs, cves int }

func (c *countSink) Host(*scanimport.Host) error { return nil }
func (c *countSink) Record(r *scanimport.Record) error {
	c.recs++
	if len(r.CVEs) > 0 {
		c.cves++
	}
	return nil
}

// BenchmarkImportNessus imports a generated .nessus (see genNessus) into
// SQLite, whole (parse, hosts, findings, one transaction), next to the
// parser alone and the reference count over the same file, at two sizes:
// MB/s is the throughput; peak-heap-MB (sampled) shows memory flat in
// the file's size.
func BenchmarkImportNessus(b *testing.B) {
	for _, size := range []int64{16 << 20, 64 << 20} {
		path := benchFile(b, size)
		st, _ := os.Stat(path)
		name := fmt.Sprintf("%dMB", size>>20)
		b.Run("import/"+name, func(b *testing.B) {
			db := storetest.Open(b, "sqlite")
			sys := auth.WithPrincipal(context.Background(), auth.System)
			o := &org.Service{DB: db}
			if _, err := o.EnsureRoot(sys); err != nil {
				b.Fatal(err)
			}
			svc := &scanimport.Service{DB: db}
			b.SetBytes(st.Size())
			b.ReportAllocs()
			var top uint64
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				code := fmt.Sprintf("U%d", i)
				if _, err := o.CreateUnit(sys, org.UnitInput{Code: code, Name: "Đơn vị " + code, Kind: org.KindProvince, Parent: org.RootCode}); err != nil {
					b.Fatal(err)
				}
				f, _ := os.Open(path)
				runtime.GC()
				b.StartTimer()
				p := peak(func() {
					if _, err := svc.Import(sys, scanimport.Options{Unit: code, File: "generated.nessus"}, f); err != nil {
						b.Fatal(err)
					}
				})
				f.Close()
				top = max(top, p)
			}
			b.ReportMetric(float64(top)/(1<<20), "peak-heap-MB")
		})
		b.Run("parse/"+name, func(b *testing.B) {
			b.SetBytes(st.Size())
			b.ReportAllocs()
			var top uint64
			for b.Loop() {
				f, _ := os.Open(path)
				top = max(top, peak(func() {
					if _, err := scanimport.Parse(f, "generated.nessus", "", &countSink{}); err != nil {
						b.Fatal(err)
					}
				}))
				f.Close()
			}
			b.ReportMetric(float64(top)/(1<<20), "peak-heap-MB")
		})
		b.Run("reference-encoding-xml/"+name, func(b *testing.B) {
			b.SetBytes(st.Size())
			b.ReportAllocs()
			for b.Loop() {
				f, _ := os.Open(path)
				referenceCount(bufio.NewReaderSize(f, 64<<10))
				f.Close()
			}
		})
	}
}

// TestGeneratedCountsAgree checks the parser against the reference count
// on the generated report: the same ReportItems, the same ones with CVEs.
func TestGeneratedCountsAgree(t *testing.T) {
	var sb strings.Builder
	genNessus(&sb, 4<<20)
	items, withCVE := referenceCount(strings.NewReader(sb.String()))
	c := &countSink{}
	if _, err := scanimport.Parse(strings.NewReader(sb.String()), "generated.nessus", "", c); err != nil {
		t.Fatal(err)
	}
	if c.recs != items || c.cves != withCVE || items == 0 {
		t.Errorf("parser: %d items, %d with CVEs; reference: %d, %d", c.recs, c.cves, items, withCVE)
	}
}
