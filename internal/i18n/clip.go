package i18n

// Clip cuts s to at most n bytes without splitting a UTF-8 sequence: a
// stored or logged text keeps whole letters (Vietnamese ones take two or
// three bytes).
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < 0 {
		n = 0
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Shorten is Clip with "…" after a text that was cut, for text a person
// reads.
func Shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return Clip(s, n) + "…"
}
