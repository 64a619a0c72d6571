package views

import (
	"strings"
	"sync"
	"unicode/utf8"

	useragent "github.com/medama-io/go-useragent"
)

// uaParser is built on first use: its tables take a moment to load, and
// only the Account page needs them.
var uaParser = sync.OnceValue(useragent.NewParser)

// BrowserName is a short readable form of a User-Agent header, such as
// "Firefox 121 on Windows"; an agent the parser does not know is shown as
// its first words.
func BrowserName(ua string) string {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return "Unknown browser"
	}
	r := uaParser().Parse(ua)
	name := string(r.Browser())
	if name == "" {
		if utf8.RuneCountInString(ua) > 40 {
			ua = string([]rune(ua)[:40]) + "…"
		}
		return ua
	}
	if v := r.BrowserVersionMajor(); v != "" {
		name += " " + v
	}
	if os := string(r.OS()); os != "" {
		name += " on " + os
	}
	return name
}
