package memory_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/memory"
	"github.com/onitapp/onit/ports"
)

type recordingSink struct {
	mu      sync.Mutex
	got     []ports.Invalidation
	trusted time.Time
}

func (s *recordingSink) Invalidate(inv ports.Invalidation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, inv)
}

func (s *recordingSink) Trust(until time.Time) { s.trusted = until }

func TestRevocationBusDeliversToEverySubscriber(t *testing.T) {
	t.Parallel()
	bus := memory.NewRevocationBus()
	a, b := &recordingSink{}, &recordingSink{}
	bus.Subscribe(a)
	bus.Subscribe(b)
	inv := ports.Invalidation{Sessions: []string{"h"}, Users: []int64{1}}
	if err := bus.Publish(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*recordingSink{a, b} {
		if len(s.got) != 1 || !slices.Equal(s.got[0].Sessions, inv.Sessions) || !slices.Equal(s.got[0].Users, inv.Users) {
			t.Errorf("delivered %+v, want [%+v] before Publish returned", s.got, inv)
		}
		if !s.trusted.After(time.Now().AddDate(100, 0, 0)) {
			t.Errorf("trusted until %v; an in-process bus cannot lose messages", s.trusted)
		}
	}
}
