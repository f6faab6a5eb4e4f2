package detect

import (
	"strconv"
	"strings"
)

// SystemFieldName maps a value of a Windows event's <System> element to the
// field name Sigma rules use, so the EVTX reader and the JSON parsers name
// the same value the same way. elem is the child element of <System>, attr
// the attribute holding the value ("" for the element's text). It returns ""
// for values that carry no field (TimeCreated goes to Event.Time instead).
func SystemFieldName(elem, attr string) string {
	if attr == "" {
		switch elem {
		case "EventID", "Version", "Level", "Task", "Opcode", "Keywords",
			"EventRecordID", "Channel", "Computer":
			return elem
		case "Provider", "TimeCreated", "Correlation", "Execution", "Security":
			return ""
		}
		return elem
	}
	switch elem {
	case "Provider":
		switch attr {
		case "Name":
			return "Provider_Name"
		case "Guid":
			return "Provider_Guid"
		case "EventSourceName":
			return "EventSourceName"
		}
	case "EventID":
		if attr == "Qualifiers" {
			return "Qualifiers"
		}
	case "Correlation":
		switch attr {
		case "ActivityID", "RelatedActivityID":
			return attr
		}
	case "Execution":
		switch attr {
		case "ProcessID", "ThreadID", "ProcessorID", "SessionID", "KernelTime", "UserTime", "ProcessorTime":
			return attr
		}
	case "Security":
		if attr == "UserID" {
			return "SecurityUserID"
		}
	}
	return ""
}

// UnnamedDataName names the i-th (from 0) <Data> element without a Name
// attribute on its own: Data1, Data2, ... The field Data holds them all
// (see AddUnnamedData).
func UnnamedDataName(i int) string {
	if i < len(unnamedDataNames) {
		return unnamedDataNames[i]
	}
	return "Data" + strconv.Itoa(i+1)
}

var unnamedDataNames = func() []string {
	names := make([]string, 64)
	for i := range names {
		names[i] = "Data" + strconv.Itoa(i+1)
	}
	return names
}()

// AddUnnamedData adds the values of an event's <Data> elements that have
// no Name (classic event sources: MSSQL, ESENT, Application Error,
// PowerShell 400/800). Data holds all of them, one per line, because
// Sigma rules match "the data" as a whole (Data|contains|all: a value of
// one element and of another); when there are several, each is also
// Data1, Data2, ... in order.
func AddUnnamedData(ev *Event, values []string) {
	switch len(values) {
	case 0:
		return
	case 1:
		ev.Add("Data", values[0])
		return
	}
	ev.Add("Data", strings.Join(values, "\n"))
	for i, v := range values {
		ev.Add(UnnamedDataName(i), v)
	}
}

// PreferEventData renames System fields (the first nSystem of fields)
// whose names an EventData or UserData field also uses, to System_<name>,
// so that Get finds the event's own value: Security 5156 carries a
// ProcessID in EventData that rules mean, not the logging process's.
func PreferEventData(fields []Field, nSystem int) {
	if nSystem > len(fields) {
		nSystem = len(fields)
	}
	data := fields[nSystem:]
	for i := 0; i < nSystem; i++ {
		name := fields[i].Name
		for j := range data {
			if data[j].Name == name {
				fields[i].Name = systemPrefixed(name)
				break
			}
		}
	}
}

var systemPrefixedNames = map[string]string{}

func init() {
	for _, n := range []string{"EventID", "Version", "Level", "Task", "Opcode", "Keywords",
		"EventRecordID", "Channel", "Computer", "Provider_Name", "Provider_Guid", "EventSourceName",
		"Qualifiers", "ActivityID", "RelatedActivityID", "ProcessID", "ThreadID", "ProcessorID",
		"SessionID", "KernelTime", "UserTime", "ProcessorTime", "SecurityUserID"} {
		systemPrefixedNames[n] = "System_" + n
	}
}

func systemPrefixed(name string) string {
	if s, ok := systemPrefixedNames[name]; ok {
		return s
	}
	return "System_" + name
}
