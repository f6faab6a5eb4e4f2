package vuln_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"vigil/internal/store/storetest"
	"vigil/internal/vuln"
	"vigil/internal/vuln/internal/vulntest"
	"vigil/internal/vuln/msrc"
	"vigil/internal/vuln/nvd"
)

// msrc2023 reads the twelve MSRC documents of 2023 from the shared data.
func msrc2023(b *testing.B) (names []string, docs [][]byte, size int64) {
	dir := vulntest.Shared(b, "msrc")
	files, _ := filepath.Glob(filepath.Join(dir, "cvrf-2023-*.xml"))
	if len(files) != 12 {
		b.Fatalf("%d 2023 documents in %s", len(files), dir)
	}
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		names = append(names, filepath.Base(f))
		docs = append(docs, d)
		size += int64(len(d))
	}
	return names, docs, size
}

// BenchmarkParseMSRC2023 parses the twelve 2023 documents (~26 MB of CVRF
// XML) into kb records. scripts/bench-feeds.sh times Python's
// ElementTree.iterparse counting the same files' Vulnerability elements.
func BenchmarkParseMSRC2023(b *testing.B) {
	names, docs, size := msrc2023(b)
	b.SetBytes(size)
	b.ReportAllocs()
	var vulns, fixes int
	for b.Loop() {
		vulns, fixes = 0, 0
		for i, d := range docs {
			_, err := msrc.Parse(bytes.NewReader(d), names[i], msrc.Handler{
				Vulnerability: func(v msrc.Vulnerability) error { vulns++; fixes += len(v.Fixes); return nil },
				Skip:          func(error) error { return nil },
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(vulns), "vulns/op")
	b.ReportMetric(float64(fixes), "fixes/op")
}

// BenchmarkImportMSRC2023 loads the twelve 2023 documents into an empty
// knowledge base (parse, batches, digests, transactions).
func BenchmarkImportMSRC2023(b *testing.B) {
	names, docs, size := msrc2023(b)
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			b.SetBytes(size)
			var fixes int
			for b.Loop() {
				b.StopTimer()
				db := storetest.Open(b, engine)
				s := &vuln.Service{DB: db}
				b.StartTimer()
				for i, d := range docs {
					if _, err := s.Import(admin(), bytes.NewReader(d), names[i]); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				db.QueryRow(context.Background(), `SELECT COUNT(*) FROM vuln_ms_fixes`).Scan(&fixes)
				b.StartTimer()
			}
			b.ReportMetric(float64(fixes), "fixes/op")
		})
	}
}

// generatedNVD writes n CVE records in the NVD API 2.0 page shape (NVD's
// full history could not be brought here, so the records are generated:
// each with a description, a CVSS v3.1 metric, a CWE and two
// configurations of three cpeMatch entries with version ranges).
func generatedNVD(n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"resultsPerPage":%d,"startIndex":0,"totalResults":%d,"format":"NVD_CVE","version":"2.0","timestamp":"2024-01-01T00:00:00.000","vulnerabilities":[`, n, n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"cve":{"id":"CVE-2023-%05d","sourceIdentifier":"cve@mitre.org","published":"2023-03-01T10:15:00.000","lastModified":"2023-06-01T10:15:00.000","vulnStatus":"Analyzed",
"descriptions":[{"lang":"en","value":"A buffer overflow in example product %d before 2.%d.%d allows remote attackers to execute arbitrary code via a crafted request to the management interface."},{"lang":"es","value":"Un desbordamiento de búfer."}],
"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","attackVector":"NETWORK","attackComplexity":"LOW","privilegesRequired":"NONE","userInteraction":"NONE","scope":"UNCHANGED","confidentialityImpact":"HIGH","integrityImpact":"HIGH","availabilityImpact":"HIGH","baseScore":9.8,"baseSeverity":"CRITICAL"},"exploitabilityScore":3.9,"impactScore":5.9}]},
"weaknesses":[{"source":"nvd@nist.gov","type":"Primary","description":[{"lang":"en","value":"CWE-787"}]}],
"configurations":[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:a:vendor%d:product%d:*:*:*:*:*:*:*:*","versionStartIncluding":"2.0","versionEndExcluding":"2.%d.%d","matchCriteriaId":"00000000-0000-0000-0000-000000000001"},{"vulnerable":true,"criteria":"cpe:2.3:a:vendor%d:product%d:1.%d:*:*:*:*:*:*:*","matchCriteriaId":"00000000-0000-0000-0000-000000000002"},{"vulnerable":true,"criteria":"cpe:2.3:a:vendor%d:product%d_server:*:*:*:*:*:*:*:*","versionEndIncluding":"3.%d","matchCriteriaId":"00000000-0000-0000-0000-000000000003"}]}]},
{"operator":"AND","nodes":[{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:o:vendor%d:firmware:*:*:*:*:*:*:*:*","versionEndExcluding":"4.%d","matchCriteriaId":"00000000-0000-0000-0000-000000000004"}]},{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":false,"criteria":"cpe:2.3:h:vendor%d:appliance:-:*:*:*:*:*:*:*","matchCriteriaId":"00000000-0000-0000-0000-000000000005"},{"vulnerable":false,"criteria":"cpe:2.3:h:vendor%d:appliance_pro:-:*:*:*:*:*:*:*","matchCriteriaId":"00000000-0000-0000-0000-000000000006"}]}]}],
"references":[{"url":"https://example.invalid/advisory/%d","source":"cve@mitre.org"}]}}`,
			i, i%500, i%10, i%7, i%500, i%500, i%10, i%7, i%500, i%500, i%9, i%500, i%500, i%5, i%500, i%8, i%500, i%500, i)
	}
	b.WriteString("]}")
	return b.Bytes()
}

const benchNVDRecords = 20000

// TestWriteBenchNVD writes the generated NVD page to $VIGIL_BENCH_NVD for
// scripts/bench-feeds.sh's Python reference.
func TestWriteBenchNVD(t *testing.T) {
	path := os.Getenv("VIGIL_BENCH_NVD")
	if path == "" {
		t.Skip("VIGIL_BENCH_NVD not set")
	}
	if err := os.WriteFile(path, generatedNVD(benchNVDRecords), 0o644); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkParseNVDGenerated parses 20,000 generated NVD records (~50 MB).
func BenchmarkParseNVDGenerated(b *testing.B) {
	page := generatedNVD(benchNVDRecords)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	var n, m int
	for b.Loop() {
		n, m = 0, 0
		err := nvd.Parse(bytes.NewReader(page), "generated.json", nvd.Handler{CVE: func(r nvd.Record) error { n++; m += len(r.Matches); return nil }})
		if err != nil {
			b.Fatal(err)
		}
	}
	if n != benchNVDRecords {
		b.Fatalf("%d records", n)
	}
	b.ReportMetric(float64(n), "records/op")
	b.ReportMetric(float64(m), "cpe-matches/op")
}

// BenchmarkImportNVDGenerated loads the 20,000 generated records into an
// empty knowledge base, then (…/again) loads them again: every record
// compares unchanged and nothing is written.
func BenchmarkImportNVDGenerated(b *testing.B) {
	page := generatedNVD(benchNVDRecords)
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				b.StopTimer()
				s := &vuln.Service{DB: storetest.Open(b, engine)}
				b.StartTimer()
				res, err := s.Import(admin(), bytes.NewReader(page), "generated.json")
				if err != nil || res.Changed != benchNVDRecords {
					b.Fatalf("%+v %v", res, err)
				}
			}
			b.ReportMetric(benchNVDRecords, "records/op")
		})
		b.Run(engine+"/again", func(b *testing.B) {
			s := &vuln.Service{DB: storetest.Open(b, engine)}
			if _, err := s.Import(admin(), bytes.NewReader(page), "generated.json"); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(page)))
			b.ResetTimer()
			for b.Loop() {
				res, err := s.Import(admin(), bytes.NewReader(page), "generated.json")
				if err != nil || res.Unchanged != benchNVDRecords {
					b.Fatalf("%+v %v", res, err)
				}
			}
			b.ReportMetric(benchNVDRecords, "records/op")
		})
	}
}

// BenchmarkParseNVDStreamPeakHeap parses 100,000 generated records (about
// 220 MB) produced on the fly through a pipe, and reports the largest heap
// seen while reading: it stays flat, far below the input's size.
func BenchmarkParseNVDStreamPeakHeap(b *testing.B) {
	const n = 100000
	one := generatedNVD(1)
	// The record between `"vulnerabilities":[` and the closing `]}`.
	rec := one[bytes.Index(one, []byte(`"vulnerabilities":[`))+len(`"vulnerabilities":[`) : len(one)-2]
	b.SetBytes(int64(n * (len(rec) + 1)))
	var peak uint64
	for b.Loop() {
		pr, pw := io.Pipe()
		go func() {
			bw := bufio.NewWriterSize(pw, 1<<20)
			bw.WriteString(`{"format":"NVD_CVE","vulnerabilities":[`)
			for i := 0; i < n; i++ {
				if i > 0 {
					bw.WriteByte(',')
				}
				bw.Write(bytes.Replace(rec, []byte("CVE-2023-00000"), []byte(fmt.Sprintf("CVE-2024-%06d", i)), 1))
			}
			bw.WriteString("]}")
			bw.Flush()
			pw.Close()
		}()
		count := 0
		var ms runtime.MemStats
		err := nvd.Parse(pr, "stream.json", nvd.Handler{CVE: func(nvd.Record) error {
			count++
			if count%5000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			return nil
		}})
		if err != nil || count != n {
			b.Fatalf("%d records, %v", count, err)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
