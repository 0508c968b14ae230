package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
)

// profilingState is the optional net/http/pprof listener: CPU and heap
// profiles of a server under load, which is how the README's performance
// notes find where a scenario loses against its ceiling.
type profilingState struct {
	addr   string
	srv    *http.Server
	ln     net.Listener
	served chan struct{}
}

// SetProfiling serves net/http/pprof on addr, a loopback address (empty:
// off, the default). Profiles show code paths and memory, so they are
// never offered on a routable interface: Listen refuses any other host.
// Call it before Listen.
func (s *Server) SetProfiling(addr string) { s.profiling.addr = addr }

// ProfilingAddr is the bound address of the profiling listener, nil when
// there is none (or before Listen).
func (s *Server) ProfilingAddr() net.Addr {
	if s.profiling.ln == nil {
		return nil
	}
	return s.profiling.ln.Addr()
}

// CheckProfilingAddr accepts "" and loopback host:port addresses only.
func CheckProfilingAddr(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("profiling address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("profiling address %q is not on loopback (127.0.0.1, ::1 or localhost)", addr)
	}
	return nil
}

// listenProfiling binds the profiling listener when one is configured.
func (s *Server) listenProfiling(ctx context.Context) error {
	p := &s.profiling
	if p.addr == "" {
		return nil
	}
	if err := CheckProfilingAddr(p.addr); err != nil {
		return err
	}
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", p.addr)
	if err != nil {
		return fmt.Errorf("listen on %s (profiling): %w", p.addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // named profiles: heap, allocs, goroutine, …
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	p.ln = ln
	p.served = make(chan struct{})
	// No WriteTimeout: a CPU profile streams for its ?seconds= (30 s by
	// default) before the first byte.
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: s.cfg.HTTP.ReadHeaderTimeout,
		MaxHeaderBytes: 16 << 10, ErrorLog: s.srv.ErrorLog}
	return nil
}

// serveProfiling serves the profiling listener in its own goroutine.
func (s *Server) serveProfiling() {
	p := &s.profiling
	if p.srv == nil {
		return
	}
	go func() {
		defer close(p.served)
		if err := p.srv.Serve(p.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("profiling server stopped", "err", err)
		}
	}()
}

// shutdownProfiling closes the profiling listener; a profile being taken
// is cut short rather than holding up the stop.
func (s *Server) shutdownProfiling() error {
	p := &s.profiling
	if p.srv == nil {
		return nil
	}
	err := p.srv.Close()
	<-p.served
	if err != nil {
		return fmt.Errorf("close profiling server: %w", err)
	}
	return nil
}
