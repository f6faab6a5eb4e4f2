package detect

import (
	"errors"
	"fmt"
	"testing"
)

func TestSystemFieldName(t *testing.T) {
	tests := []struct{ elem, attr, want string }{
		{"EventID", "", "EventID"},
		{"EventID", "Qualifiers", "Qualifiers"},
		{"Provider", "Name", "Provider_Name"},
		{"Provider", "Guid", "Provider_Guid"},
		{"Provider", "EventSourceName", "EventSourceName"},
		{"Execution", "ProcessID", "ProcessID"},
		{"Security", "UserID", "SecurityUserID"},
		{"Correlation", "ActivityID", "ActivityID"},
		{"TimeCreated", "SystemTime", ""},
		{"TimeCreated", "", ""},
		{"Provider", "Other", ""},
		{"NewInWindows12", "", "NewInWindows12"},
	}
	for _, tt := range tests {
		if got := SystemFieldName(tt.elem, tt.attr); got != tt.want {
			t.Errorf("SystemFieldName(%q, %q) = %q, want %q", tt.elem, tt.attr, got, tt.want)
		}
	}
}

func TestPreferEventData(t *testing.T) {
	fields := []Field{{"EventID", "5156"}, {"ProcessID", "4"}, {"Channel", "Security"}, {"ProcessID", "1234"}, {"Application", "x"}}
	PreferEventData(fields, 3)
	if fields[1].Name != "System_ProcessID" || fields[0].Name != "EventID" || fields[3].Name != "ProcessID" {
		t.Errorf("fields %v", fields)
	}
	ev := Event{Fields: fields}
	if v, _ := ev.Get("ProcessID"); v != "1234" {
		t.Errorf("ProcessID = %q", v)
	}
}

func TestAddUnnamedData(t *testing.T) {
	var one, many Event
	AddUnnamedData(&one, []string{"only"})
	AddUnnamedData(&many, []string{"NTDS", "C:\\ntds.dit"})
	if len(one.Fields) != 1 || one.Fields[0] != (Field{"Data", "only"}) {
		t.Errorf("one: %v", one.Fields)
	}
	want := []Field{{"Data", "NTDS\nC:\\ntds.dit"}, {"Data1", "NTDS"}, {"Data2", "C:\\ntds.dit"}}
	if fmt.Sprint(many.Fields) != fmt.Sprint(want) {
		t.Errorf("many: %v, want %v", many.Fields, want)
	}
	if UnnamedDataName(99) != "Data100" {
		t.Errorf("UnnamedDataName(99) = %q", UnnamedDataName(99))
	}
}

func TestReadStats(t *testing.T) {
	var st ReadStats
	for i := 0; i < 100; i++ {
		st.Skip(errors.New("bad"))
	}
	st.SkipChunk(errors.New("chunk"))
	if st.Skipped != 100 || st.CorruptChunks != 1 || len(st.Errors) != maxKeptErrors {
		t.Errorf("stats %d %d %d", st.Skipped, st.CorruptChunks, len(st.Errors))
	}
}
