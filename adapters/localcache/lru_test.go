package localcache

import "testing"

// TestLRUReusesSlots checks the free list and the eviction order against a
// model, through a long random-looking sequence of operations.
func TestLRUReusesSlots(t *testing.T) {
	t.Parallel()
	const capacity = 5
	c := newLRU[int, int](capacity)
	var order []int // model: most recent first
	touch := func(k int) {
		for i, x := range order {
			if x == k {
				order = append(order[:i], order[i+1:]...)
				break
			}
		}
		order = append([]int{k}, order...)
	}
	drop := func(k int) {
		for i, x := range order {
			if x == k {
				order = append(order[:i], order[i+1:]...)
				return
			}
		}
	}
	for step := range 5000 {
		k := (step * 7919) % 13
		switch step % 4 {
		case 0, 1:
			c.put(k, k*10, 1<<62)
			touch(k)
			if len(order) > capacity {
				order = order[:capacity]
			}
		case 2:
			v, ok := c.get(k, 0)
			inModel := false
			for _, x := range order {
				inModel = inModel || x == k
			}
			if ok != inModel || (ok && v != k*10) {
				t.Fatalf("step %d: get(%d) = %d, %v; model has it: %v", step, k, v, ok, inModel)
			}
			if ok {
				touch(k)
			}
		case 3:
			c.del(k)
			drop(k)
		}
		if c.len() != len(order) || len(c.ents) > capacity {
			t.Fatalf("step %d: len %d, model %d, slots %d", step, c.len(), len(order), len(c.ents))
		}
		// Walk the list: it must be the model's order.
		i, n := c.head, 0
		for ; i != none; i = c.ents[i].next {
			if n >= len(order) || c.ents[i].key != order[n] {
				t.Fatalf("step %d: list order differs from model %v at %d", step, order, n)
			}
			n++
		}
	}
	c.clear()
	if c.len() != 0 || c.head != none {
		t.Fatal("clear left entries")
	}
	c.put(1, 1, 1<<62)
	if v, ok := c.get(1, 0); !ok || v != 1 {
		t.Fatal("unusable after clear")
	}
}
