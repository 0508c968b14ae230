package ports

import "context"

type primaryReadsKey struct{}

// WithPrimaryReads marks ctx so that reads which would tolerate a
// replica's lag read the primary instead: its caller has just written
// and must read its own writes. The driving adapter (HTTP) sets it; the
// database adapter honours it.
func WithPrimaryReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryReadsKey{}, true)
}

// PrimaryReads reports whether ctx asks for reads from the primary.
func PrimaryReads(ctx context.Context) bool {
	v, _ := ctx.Value(primaryReadsKey{}).(bool)
	return v
}
