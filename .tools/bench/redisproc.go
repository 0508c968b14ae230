package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// privateRedis is the value of --redis that makes the harness start its
// own redis-server: INFO commandstats then counts Onit's commands and
// nobody else's, so the per-request Redis figures are exact.
const privateRedis = "private"

// redisProc is a redis-server the harness started.
type redisProc struct {
	cmd    *exec.Cmd
	addr   string
	exited chan error
}

// startRedis runs redis-server on a free loopback port without
// persistence (nothing of it outlives the bench) and waits for PING.
func startRedis(ctx context.Context, dir string, log io.Writer) (*redisProc, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("--redis %s needs redis-server on PATH (or pass --redis 127.0.0.1:6379): %w", privateRedis, err)
	}
	addr, err := freeAddr(ctx)
	if err != nil {
		return nil, err
	}
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	cmd := exec.CommandContext(context.WithoutCancel(ctx), bin,
		"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = io.Discard, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &redisProc{cmd: cmd, addr: addr, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	rdb := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true, MaxRetries: -1})
	defer rdb.Close()
	for range 100 { // 10 s at most
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err = rdb.Ping(pctx).Err()
		cancel()
		if err == nil {
			return p, nil
		}
		select {
		case werr := <-p.exited:
			return nil, fmt.Errorf("redis-server exited: %w", werr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	p.stop()
	return nil, fmt.Errorf("redis-server on %s did not answer PING: %w", addr, err)
}

// stop ends the redis-server with SIGTERM, and SIGKILL after 10 s. Its
// exit status is of no interest: a SIGTERM'd server reports one.
func (p *redisProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		_ = err
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		err := <-p.exited
		_ = err
	}
}
