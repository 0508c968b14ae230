package httpapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestCheckProfilingAddr(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"", true},
		{"127.0.0.1:6060", true},
		{"127.0.0.1:0", true},
		{"[::1]:6060", true},
		{"localhost:6060", true},
		{":6060", false}, // every interface
		{"0.0.0.0:6060", false},
		{"10.0.0.5:6060", false},
		{"example.com:6060", false},
		{"127.0.0.1", false}, // no port
	}
	for _, tt := range tests {
		if err := CheckProfilingAddr(tt.addr); (err == nil) != tt.ok {
			t.Errorf("CheckProfilingAddr(%q) = %v, want ok=%v", tt.addr, err, tt.ok)
		}
	}
}

func TestProfilingListener(t *testing.T) {
	t.Run("off by default", func(t *testing.T) {
		s := newTestServer(t, SecurityConfig{})
		s.cfg.HTTP.Addr = "127.0.0.1:0"
		if err := s.Listen(context.Background()); err != nil {
			t.Fatal(err)
		}
		go s.Serve()
		t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
		if s.ProfilingAddr() != nil {
			t.Fatalf("profiling listener on %v without ONIT_PPROF_ADDR", s.ProfilingAddr())
		}
	})
	t.Run("refuses a routable address", func(t *testing.T) {
		s := newTestServer(t, SecurityConfig{})
		s.cfg.HTTP.Addr = "127.0.0.1:0"
		s.SetProfiling("0.0.0.0:0")
		if err := s.Listen(context.Background()); err == nil {
			_ = s.Shutdown(context.Background())
			t.Fatal("Listen accepted a profiling address on every interface")
		}
	})
	t.Run("serves pprof on loopback", func(t *testing.T) {
		s := newTestServer(t, SecurityConfig{})
		s.cfg.HTTP.Addr = "127.0.0.1:0"
		s.SetProfiling("127.0.0.1:0")
		if err := s.Listen(context.Background()); err != nil {
			t.Fatal(err)
		}
		go s.Serve()
		t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
		req, _ := http.NewRequestWithContext(context.Background(), "GET",
			"http://"+s.ProfilingAddr().String()+"/debug/pprof/heap?debug=1", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "heap profile") {
			t.Fatalf("heap profile: %d %.200s", resp.StatusCode, body)
		}
	})
}
