package readiness

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzParseDay: any text typed as a campaign's start or deadline is a day
// or a reason naming the field, never a panic.
func FuzzParseDay(f *testing.F) {
	for _, s := range []string{"04/02/2027", "2027-02-12", "2027-02-12T23:00:00+07:00", "31/02/2027", "", "\xff", "1/1/2027", " 4/2/2027 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDay("due_at", s)
		if err != nil {
			if !strings.Contains(err.Error(), "due_at") && !strings.Contains(err.Error(), "required") && !strings.Contains(err.Error(), "date") {
				t.Fatalf("%q: a reason without the field: %v", s, err)
			}
			return
		}
		if d.IsZero() || d.Year() < 0 {
			t.Fatalf("%q: day %v", s, d)
		}
	})
}

// FuzzTemplate: any template posted to the API is refused with a reason
// naming a criterion's field, or validated to criteria whose figures
// evaluate to a status, never a panic.
func FuzzTemplate(f *testing.F) {
	good, _ := json.Marshal(TemplateInput{Name: "x", Criteria: builtin().Criteria})
	f.Add(string(good))
	f.Add(`{"name":"x","criteria":[{"key":"a","measure":1,"kind":"metric","metric":"hosts.av_current","direction":"min_share","target":1e400}]}`)
	f.Add(`{"name":"x","criteria":[{"key":"A B","measure":9,"kind":"attest","label":""}]}`)
	f.Add(`{"criteria":null}`)
	f.Add(`{"name":"x","criteria":[null]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		var in TemplateInput
		if json.Unmarshal([]byte(doc), &in) != nil {
			return
		}
		if err := validateCriteria(in.Criteria); err != nil {
			return
		}
		for _, c := range in.Criteria {
			for _, fig := range [][2]float64{{0, 0}, {1, 2}, {5, 0}} {
				st := c.Evaluate(fig[0], fig[1], true)
				if c.Kind == KindMetric && rank[st] == 0 && st != StatusInfo {
					t.Fatalf("criterion %+v: status %q", c, st)
				}
			}
			_ = attestStatus("", time.Now(), time.Now())
		}
	})
}
