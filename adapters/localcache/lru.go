// Package localcache holds small in-process caches: a bounded LRU with a
// time to live per entry, and on top of it the instance-local copy of
// sessions and their users (Sessions, a ports.LocalSessionCache).
package localcache

// lru is a least-recently-used map of at most cap entries, each with an
// expiry in Unix nanoseconds. It is not safe for concurrent use: Sessions
// guards it with its mutex.
//
// Entries live in one slice and link to each other by index, so the cache
// allocates only when it grows (the slice, and the map's buckets) and never
// per hit or per replacement: at request rate, a node per Put would be
// garbage the collector has to chase. Freed slots are reused through a free
// list threaded through the same next field.
type lru[K comparable, V any] struct {
	cap        int
	idx        map[K]int32
	ents       []lruEntry[K, V]
	head, tail int32 // most and least recently used; none when -1
	free       int32 // first reusable slot; none when -1
}

type lruEntry[K comparable, V any] struct {
	key        K
	val        V
	expires    int64
	prev, next int32
}

const none = -1

func newLRU[K comparable, V any](capacity int) *lru[K, V] {
	return &lru[K, V]{cap: capacity, idx: make(map[K]int32), head: none, tail: none, free: none}
}

// get returns the live value of k and marks it used; an entry expired at
// now is removed and reported as a miss.
func (c *lru[K, V]) get(k K, now int64) (V, bool) {
	i, ok := c.idx[k]
	if !ok {
		var zero V
		return zero, false
	}
	if now >= c.ents[i].expires {
		c.remove(i)
		var zero V
		return zero, false
	}
	c.moveToFront(i)
	return c.ents[i].val, true
}

// put stores v under k until expires, evicting the least recently used
// entry when full.
func (c *lru[K, V]) put(k K, v V, expires int64) {
	if c.cap <= 0 {
		return
	}
	if i, ok := c.idx[k]; ok {
		c.ents[i].val, c.ents[i].expires = v, expires
		c.moveToFront(i)
		return
	}
	var i int32
	switch {
	case c.free != none:
		i = c.free
		c.free = c.ents[i].next
	case len(c.ents) < c.cap:
		c.ents = append(c.ents, lruEntry[K, V]{})
		i = int32(len(c.ents) - 1)
	default:
		i = c.tail
		c.unlink(i)
		delete(c.idx, c.ents[i].key)
	}
	c.ents[i] = lruEntry[K, V]{key: k, val: v, expires: expires, prev: none, next: none}
	c.idx[k] = i
	c.pushFront(i)
}

// del removes k if present.
func (c *lru[K, V]) del(k K) {
	if i, ok := c.idx[k]; ok {
		c.remove(i)
	}
}

// clear removes every entry but keeps the memory for reuse.
func (c *lru[K, V]) clear() {
	clear(c.idx)
	clear(c.ents) // drop references so the values can be collected
	c.ents = c.ents[:0]
	c.head, c.tail, c.free = none, none, none
}

func (c *lru[K, V]) len() int { return len(c.idx) }

func (c *lru[K, V]) remove(i int32) {
	c.unlink(i)
	delete(c.idx, c.ents[i].key)
	c.ents[i] = lruEntry[K, V]{prev: none, next: c.free}
	c.free = i
}

func (c *lru[K, V]) moveToFront(i int32) {
	if c.head == i {
		return
	}
	c.unlink(i)
	c.pushFront(i)
}

func (c *lru[K, V]) pushFront(i int32) {
	c.ents[i].prev, c.ents[i].next = none, c.head
	if c.head != none {
		c.ents[c.head].prev = i
	}
	c.head = i
	if c.tail == none {
		c.tail = i
	}
}

func (c *lru[K, V]) unlink(i int32) {
	e := &c.ents[i]
	if e.prev != none {
		c.ents[e.prev].next = e.next
	} else {
		c.head = e.next
	}
	if e.next != none {
		c.ents[e.next].prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = none, none
}
