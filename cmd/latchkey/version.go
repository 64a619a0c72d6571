package main

import (
	"fmt"
	"io"
	"runtime"
)

// version and commit are stamped in by `make release` (-ldflags -X); a plain
// `go build` leaves these defaults, so a binary never claims a release it is not.
var (
	version = "dev"
	commit  = "unknown"
)

// printVersion writes the stamped version, commit and Go version.
func printVersion(w io.Writer) {
	fmt.Fprintf(w, "latchkey %s (commit %s, %s %s/%s)\n", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
