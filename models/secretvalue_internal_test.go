package models

import (
	"fmt"
	"hash/crc32"
	"math/big"
	"testing"
)

// The checksum in machine integers is the big-integer base62 of the CRC-32
// it replaced, so secrets issued before still check.
func TestSecretChecksumAsBase62(t *testing.T) {
	for i := 0; i < 20000; i++ {
		body := fmt.Sprintf("%s%043d", SecretPrefix, i*7919)
		want := base62(new(big.Int).SetUint64(uint64(crc32.ChecksumIEEE([]byte(body)))), secretCheckLen)
		if got := secretChecksum(body); got != want {
			t.Fatalf("secretChecksum(%q) = %q, want %q", body, got, want)
		}
	}
	v := newSecretValue()
	other := "0"
	if v[len(v)-1] == '0' {
		other = "1"
	}
	if !LooksLikeSecret(v) || LooksLikeSecret(v[:len(v)-1]+other) {
		t.Fatalf("LooksLikeSecret on %q", v)
	}
}

// crc32String is the standard library's IEEE CRC-32 of the string's bytes.
func FuzzCRC32String(f *testing.F) {
	for _, s := range []string{"", "a", "lk_0123456789abcdefghijklmnopqrstuvwxyz", "\x00\xff\u00e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := crc32String(s), crc32.ChecksumIEEE([]byte(s)); got != want {
			t.Fatalf("%q: %08x, want %08x", s, got, want)
		}
	})
}
