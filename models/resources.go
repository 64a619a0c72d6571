package models

import (
	"net/url"
	"sort"
	"strings"
)

// MaxResources bounds an application's allowed resource indicators.
const MaxResources = 20

// maxResourceLen bounds one resource indicator.
const maxResourceLen = 512

// NormalizeResources validates, deduplicates and sorts a list of RFC 8707
// resource indicators (absolute URIs without a fragment), returning them
// space-separated, or a message naming the first one that is not valid.
func NormalizeResources(list []string) (string, string) {
	seen := map[string]bool{}
	var out []string
	for _, r := range list {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if !ValidResource(r) {
			return "", "Resource “" + r + "” is not valid: use an absolute URI without a fragment and without spaces, of at most 512 characters."
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	if len(out) > MaxResources {
		return "", "At most 20 resources."
	}
	sort.Strings(out)
	return strings.Join(out, " "), ""
}

// ValidResource reports whether r is a resource indicator RFC 8707 §2
// admits: an absolute URI with no fragment component.
func ValidResource(r string) bool {
	if r == "" || len(r) > maxResourceLen || strings.ContainsAny(r, " \t\r\n#") {
		return false
	}
	u, err := url.Parse(r)
	return err == nil && u.IsAbs() && u.Fragment == ""
}

// ResourceList returns the allowed resource indicators as a slice.
func (a *Application) ResourceList() []string { return strings.Fields(a.Resources) }
