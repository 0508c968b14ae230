package redisstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// DefaultPrefix namespaces Onit's keys when Keys.Prefix is empty, so the
// instance can share a Redis with other applications.
const DefaultPrefix = "onit:"

// Keys builds every key Onit writes. The scheme is
//
//	<prefix><kind>:{<id>}
//
// with these kinds:
//
//	onit:thr:<kind>:{<digest>}      attempts of one throttle counter, e.g.
//	                                thr:login_account, thr:login_client
//
// and one pub/sub channel (not a key, but named by the same prefix):
//
//	onit:revocations                invalidations between instances
//	                                (RevocationChannel, Revocations)
//
// The braces are a Redis Cluster hash tag: only the part inside them picks
// the slot. Keys that one command, transaction or script must touch
// together have to share a slot, so they must carry the same tag (Tagged
// with the same tag, different kinds); keys of different entities must not,
// or one slot becomes a hot spot. The prefix therefore must not contain
// braces (see Validate): a tag in it would put every key in one slot.
//
// Throttle ids are digests, not the e-mail address or client address
// itself: user input of any length and personal data stay out of key names
// (which show up in SCAN, MONITOR and slow logs), and braces in an address
// cannot break the tag.
type Keys struct {
	// Prefix starts every key; empty means DefaultPrefix.
	Prefix string
}

// Validate reports a prefix that would break the slot layout.
func (k Keys) Validate() error {
	if strings.ContainsAny(k.Prefix, "{}") {
		return fmt.Errorf("redisstore: key prefix %q contains a brace, which would hash every key to one cluster slot", k.Prefix)
	}
	return nil
}

func (k Keys) prefix() string {
	if k.Prefix == "" {
		return DefaultPrefix
	}
	return k.Prefix
}

// Plain returns prefix + kind, for keys that need no slot control.
func (k Keys) Plain(kind string) string { return k.prefix() + kind }

// Tagged returns prefix + kind + ":{" + tag + "}". Keys built with the same
// tag land in the same cluster slot whatever their kind.
func (k Keys) Tagged(kind, tag string) string {
	return k.prefix() + kind + ":{" + tag + "}"
}

// Throttle is the attempt counter of one throttle kind ("login_account",
// "register_client") and id (a normalised e-mail, a client address).
func (k Keys) Throttle(kind, id string) string {
	return k.Tagged("thr:"+kind, digest(id))
}

// RevocationChannel is the pub/sub channel that carries invalidations
// between instances (Revocations). On Redis Cluster the subscription
// lives on the master owning this name's slot; fault tests use it to find
// that node.
func (k Keys) RevocationChannel() string { return k.Plain("revocations") }

// digest shortens s to 128 bits of SHA-256 in hex: collisions are out of
// reach, and the key stays short in a 1 GB budget.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}
