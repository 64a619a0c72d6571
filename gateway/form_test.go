package gateway

import (
	"net/url"
	"reflect"
	"testing"
)

// parseForm gives what url.ParseQuery gives: the same values, and an
// error exactly when it gives one.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{
		"grant_type=client_credentials&client_id=abc&client_secret=s3cr%2Ft",
		"a=1&a=2&b=&c&&d=%zz&e=3", "x=1;y=2", "=v", "k=", "%41=%42+c", "", "&&", "a=1&b=2&a=3&a=4",
		"resource=https%3A%2F%2Fapi.example%2F&resource=urn%3Ax&scope=read+write",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		want, wantErr := url.ParseQuery(body)
		got, err := parseForm(body)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, url.ParseQuery's %v", body, err, wantErr)
		}
		if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Fatalf("%q: %v, url.ParseQuery gives %v", body, got, want)
		}
		// A repeated key's values are its own: appending to one never
		// writes into another's.
		for k := range got {
			got[k] = append(got[k], "appended")
		}
		for k, v := range want {
			if !reflect.DeepEqual(got[k][:len(v)], v) {
				t.Fatalf("%q: appending changed %s: %v", body, k, got[k])
			}
		}
	})
}
