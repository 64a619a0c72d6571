package gateway

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

func TestParseClientCredentials(t *testing.T) {
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name    string
		header  string
		form    url.Values
		want    clientCredentials
		wantErr bool
	}{
		{"basic", basic("id:secret"), url.Values{}, clientCredentials{"id", "secret", true}, false},
		{"basic form-encoded (RFC 6749 2.3.1)", basic("my%3Aid:s%2Bcret%25"), url.Values{}, clientCredentials{"my:id", "s+cret%", true}, false},
		{"basic lower-case scheme", "basic " + base64.StdEncoding.EncodeToString([]byte("a:b")), url.Values{}, clientCredentials{"a", "b", true}, false},
		{"basic with matching client_id", basic("id:s"), url.Values{"client_id": {"id"}}, clientCredentials{"id", "s", true}, false},
		{"basic with other client_id", basic("id:s"), url.Values{"client_id": {"other"}}, clientCredentials{}, true},
		{"basic and client_secret", basic("id:s"), url.Values{"client_secret": {"s"}}, clientCredentials{}, true},
		{"post", "", url.Values{"client_id": {"id"}, "client_secret": {"s"}}, clientCredentials{"id", "s", false}, false},
		{"post repeated", "", url.Values{"client_id": {"id", "id2"}, "client_secret": {"s"}}, clientCredentials{}, true},
		{"not base64", "Basic ***", url.Values{}, clientCredentials{}, true},
		{"no colon", basic("idonly"), url.Values{}, clientCredentials{}, true},
		{"bad escape", basic("id:%zz"), url.Values{}, clientCredentials{}, true},
		{"bearer", "Bearer x", url.Values{}, clientCredentials{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseClientCredentials(tt.header, tt.form)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !tt.wantErr && got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if _, err := parseClientCredentials("", url.Values{}); err != errNoClientAuth {
		t.Fatalf("no credentials: %v", err)
	}
}

// FuzzParseClientCredentials: any header and body parse without panicking,
// and whatever they yield, a Basic header's id and secret are exactly what
// the header encodes (no input can smuggle in other credentials).
func FuzzParseClientCredentials(f *testing.F) {
	f.Add("Basic aWQ6c2VjcmV0", "client_id=id")
	f.Add("", "client_id=a&client_secret=b")
	f.Add("Basic ", "")
	f.Add("basic Og==", "client_secret=%00")
	f.Fuzz(func(t *testing.T, header, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		creds, err := parseClientCredentials(header, form)
		if err != nil {
			return
		}
		if creds.Basic {
			_, payload, _ := strings.Cut(header, " ")
			raw, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
			if derr != nil {
				t.Fatalf("accepted undecodable Basic header %q", header)
			}
			id, _ := url.QueryUnescape(string(raw[:indexColon(raw)]))
			if id != creds.ID {
				t.Fatalf("id %q does not come from the header %q", creds.ID, header)
			}
		}
	})
}

func indexColon(b []byte) int {
	for i, c := range b {
		if c == ':' {
			return i
		}
	}
	return len(b)
}
