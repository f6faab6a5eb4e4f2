package detect

import "strconv"

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
// attribute: Data, Data1, Data2, ...
func UnnamedDataName(i int) string {
	if i < len(unnamedDataNames) {
		return unnamedDataNames[i]
	}
	return "Data" + strconv.Itoa(i)
}

var unnamedDataNames = func() []string {
	names := make([]string, 64)
	names[0] = "Data"
	for i := 1; i < len(names); i++ {
		names[i] = "Data" + strconv.Itoa(i)
	}
	return names
}()
