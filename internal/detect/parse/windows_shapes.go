package parse

import (
	"strconv"
	"unicode"
	"unicode/utf8"

	"vigil/internal/detect"
)

// winlogbeatSystem maps winlog.* paths to the System field names the EVTX
// reader uses.
var winlogbeatSystem = []struct {
	path []string
	name string
}{
	{[]string{"event_id"}, "EventID"},
	{[]string{"provider_name"}, "Provider_Name"},
	{[]string{"provider_guid"}, "Provider_Guid"},
	{[]string{"channel"}, "Channel"},
	{[]string{"computer_name"}, "Computer"},
	{[]string{"record_id"}, "EventRecordID"},
	{[]string{"version"}, "Version"},
	{[]string{"task"}, "Task"},
	{[]string{"opcode"}, "Opcode"},
	{[]string{"keywords"}, "Keywords"},
	{[]string{"process", "pid"}, "ProcessID"},
	{[]string{"process", "thread", "id"}, "ThreadID"},
	{[]string{"user", "identifier"}, "SecurityUserID"},
	{[]string{"activity_id"}, "ActivityID"},
}

// addWinlogbeat maps Elastic Winlogbeat's shape: winlog.* for System,
// winlog.event_data and winlog.user_data for the event's own values.
func addWinlogbeat(ev *detect.Event, root, w *jsonValue) error {
	ev.Product = "windows"
	for _, m := range winlogbeatSystem {
		if s, ok := pathText(w, m.path...); ok {
			ev.Add(m.name, s)
		}
	}
	if lvl, ok := pathText(root, "log", "level"); ok {
		ev.Add("Level", lvl)
	}
	nSystem := len(ev.Fields)
	if ed := w.get("event_data"); ed != nil && ed.kind == jsonObject {
		for i, k := range ed.keys {
			if s, ok := pathText(&ed.elems[i]); ok {
				ev.Add(k, s)
			}
		}
	}
	if ud := w.get("user_data"); ud != nil {
		addUserDataJSON(ev, ud, "", 0)
	}
	if msg, ok := pathText(root, "message"); ok {
		ev.Add("Message", msg)
	}
	detect.PreferEventData(ev.Fields, nSystem)
	finishWindowsEvent(ev)
	ev.Time = parseAnyTime(root.get("@timestamp"))
	if _, ok := ev.Get("EventID"); !ok {
		return errField("winlog.event_id", "winlogbeat record without it")
	}
	return nil
}

// nxlogSystem maps NXLog's im_msvistalog names to the EVTX reader's.
var nxlogSystem = map[string]string{
	"EventID":            "EventID",
	"SourceName":         "Provider_Name",
	"ProviderGuid":       "Provider_Guid",
	"Channel":            "Channel",
	"Hostname":           "Computer",
	"RecordNumber":       "EventRecordID",
	"Version":            "Version",
	"Task":               "Task",
	"OpcodeValue":        "Opcode",
	"Keywords":           "Keywords",
	"ExecutionProcessID": "ProcessID",
	"ExecutionThreadID":  "ThreadID",
	"UserID":             "SecurityUserID",
	"ActivityID":         "ActivityID",
	"Message":            "Message",
}

// nxlogMeta are NXLog's own keys that are neither System values nor the
// event's data.
var nxlogMeta = map[string]bool{
	"EventTime": true, "EventReceivedTime": true, "SourceModuleName": true, "SourceModuleType": true,
	"EventType": true, "SeverityValue": true, "Severity": true, "Opcode": true, "Category": true,
	"Domain": true, "AccountName": true, "AccountType": true, "ProcessID": true, "ThreadID": true,
}

// addNXLog maps NXLog's flat shape: System values and EventData fields
// side by side at the top level.
func addNXLog(ev *detect.Event, v *jsonValue) error {
	ev.Product = "windows"
	for i, k := range v.keys {
		if name, ok := nxlogSystem[k]; ok {
			if s, ok := pathText(&v.elems[i]); ok {
				ev.Add(name, s)
			}
		}
	}
	// NXLog's ProcessID/ThreadID are the logging process's unless the
	// Execution* keys are present.
	if _, ok := ev.Get("ProcessID"); !ok {
		if s, ok := pathText(v, "ProcessID"); ok {
			ev.Add("ProcessID", s)
		}
	}
	nSystem := len(ev.Fields)
	for i, k := range v.keys {
		if _, sys := nxlogSystem[k]; sys || nxlogMeta[k] {
			continue
		}
		if s, ok := pathText(&v.elems[i]); ok {
			ev.Add(k, s)
		}
	}
	detect.PreferEventData(ev.Fields, nSystem)
	finishWindowsEvent(ev)
	ev.Time = parseAnyTime(v.get("EventTime"))
	return nil
}

// finishWindowsEvent sets Host and Record from the fields.
func finishWindowsEvent(ev *detect.Event) {
	if c, ok := ev.Get("Computer"); ok {
		ev.Host = c
	}
	if id, ok := ev.Get("EventRecordID"); ok {
		if n, err := strconv.ParseUint(id, 10, 64); err == nil {
			ev.Record = n
		}
	}
}

// wazuhSystem maps data.win.system keys (Wazuh lower-cases the first
// letter) to the EVTX reader's names.
var wazuhSystem = map[string]string{
	"eventID": "EventID", "providerName": "Provider_Name", "providerGuid": "Provider_Guid",
	"channel": "Channel", "computer": "Computer", "eventRecordID": "EventRecordID",
	"version": "Version", "level": "Level", "task": "Task", "opcode": "Opcode",
	"keywords": "Keywords", "processID": "ProcessID", "threadID": "ThreadID",
	"systemTime": "", "severityValue": "", "message": "Message",
}

// addWazuh maps Wazuh's alerts.json: everything flattened (rule.id,
// rule.level, agent.name, data.srcip, ...), plus, for alerts on Windows
// events, data.win.system and data.win.eventdata under the EVTX reader's
// names.
func (sh *shaper) addWazuh(ev *detect.Event, v *jsonValue) error {
	win := v.get("data").get("win")
	if win != nil && win.kind == jsonObject {
		ev.Product = "windows"
		if sys := win.get("system"); sys != nil && sys.kind == jsonObject {
			for i, k := range sys.keys {
				name, ok := wazuhSystem[k]
				if !ok || name == "" {
					continue
				}
				if s, ok := pathText(&sys.elems[i]); ok {
					ev.Add(name, s)
				}
			}
		}
		nSystem := len(ev.Fields)
		if ed := win.get("eventdata"); ed != nil && ed.kind == jsonObject {
			for i, k := range ed.keys {
				if s, ok := pathText(&ed.elems[i]); ok {
					ev.Add(upperFirst(k), s)
				}
			}
		}
		detect.PreferEventData(ev.Fields, nSystem)
		finishWindowsEvent(ev)
	}
	sh.flattenJSON(ev, v, "", 0)
	addAliases(ev, wazuhAliases)
	if h, ok := pathText(v, "agent", "name"); ok && ev.Host == "" {
		ev.Host = h
	}
	ev.Time = parseAnyTime(v.get("timestamp"))
	if ev.Product == "" {
		if d, ok := pathText(v, "decoder", "name"); ok {
			ev.Service = d
		}
	}
	return nil
}

// upperFirst undoes Wazuh's lower-casing of EventData names
// (commandLine -> CommandLine).
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

var wazuhAliases = newAliasTable([][2]string{
	{"data.srcip", "source.ip"}, {"data.srcport", "source.port"},
	{"data.dstip", "destination.ip"}, {"data.dstport", "destination.port"},
	{"data.srcuser", "source.user.name"}, {"data.dstuser", "user.name"},
	{"data.protocol", "network.transport"}, {"data.url", "url.original"},
	{"full_log", "message"}, {"rule.description", "rule.name"},
})
