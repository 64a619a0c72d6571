//go:build !unix

package web

// openFileLimit returns 0: there is no RLIMIT_NOFILE to respect here.
func openFileLimit() uint64 { return 0 }
