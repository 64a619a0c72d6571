package pki

// The fields an upload or a generation request names; a *FieldError says
// which one is wrong.
const (
	FieldFile        = "file"
	FieldPassword    = "password"
	FieldCertificate = "certificate"
	FieldPrivateKey  = "privateKey"
	FieldAlgorithm   = "algorithm"
	FieldRSABits     = "keySize"
)

// The reasons an input is refused, each worded to say what to fix. Compare
// with errors.Is; a *FieldError wraps one of them.
const (
	ErrTooLarge       = Reason("The file is too large (at most 64 KiB).")
	ErrWrongPassword  = Reason("The password is wrong for this PKCS#12 file.")
	ErrNotPKCS12      = Reason("This is not a PKCS#12 (.p12 or .pfx) file.")
	ErrNotCertificate = Reason("This is not a PEM certificate.")
	ErrNoPrivateKey   = Reason("This is not a PEM private key (PKCS#8, PKCS#1 or SEC1).")
	ErrKeyMismatch    = Reason("The private key does not match the certificate.")
	ErrUnsupportedKey = Reason("Unsupported key type or curve: use ECDSA P-256, RSA or Ed25519.")
	ErrRSATooShort    = Reason("The RSA key is shorter than 2048 bits.")
	ErrExpired        = Reason("The certificate has already expired.")
	ErrNotYetValid    = Reason("The certificate is not valid yet.")
	ErrAlgorithm      = Reason("Choose ES256, RS256, PS256 or EdDSA.")
	ErrRSASize        = Reason("Choose an RSA key size of 2048, 3072 or 4096 bits.")
)

// Reason is why an input was refused, worded for the person who gave it:
// a whole sentence that says what to fix.
type Reason string

// Error returns the sentence.
func (r Reason) Error() string { return string(r) }

// FieldError is a refused input: the field (Field* constants) and why
// (one of the Err* reasons).
type FieldError struct {
	Field string
	Err   error
}

// Error returns the reason's message.
func (e *FieldError) Error() string { return e.Err.Error() }

// Unwrap returns the reason, for errors.Is.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field string, err error) error { return &FieldError{Field: field, Err: err} }
