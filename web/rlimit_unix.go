//go:build unix

package web

import "syscall"

// openFileLimit returns the process's soft RLIMIT_NOFILE (which the Go
// runtime raises to the hard limit at start-up), or 0 if unknown.
func openFileLimit() uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0
	}
	return uint64(r.Cur)
}
