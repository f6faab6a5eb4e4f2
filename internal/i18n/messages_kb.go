package i18n

// The vulnerability knowledge base's words (internal/vuln, web/ui_feeds.go,
// `vigil feeds`), in a file of their own so issue 11's helpers do not all
// edit one map; init merges them like messages_alerts.go.
func init() {
	for k, v := range kbMessages {
		messages[k] = v
	}
	for k, v := range kbErrors {
		errorFormats[k] = v
	}
}

var kbMessages = map[string][2]string{
	"audit.do.feed.import": {"{actor} đã nạp nguồn dữ liệu lỗ hổng {object}", "{actor} loaded the vulnerability feed {object}"},
	"audit.type.feed":      {"nguồn dữ liệu lỗ hổng", "vulnerability feed"},
}

var kbErrors = map[string]string{}
