package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDropAccessLines(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "server.log")
	in := `{"time":"t","level":"INFO","msg":"onit serving","addr":"127.0.0.1:1"}
{"time":"t","level":"INFO","msg":"request","request_id":"a","status":200}
{"time":"t","level":"ERROR","msg":"request","request_id":"b","status":500}
{"time":"t","level":"WARN","msg":"throttle store unavailable"}
{"time":"t","level":"INFO","msg":"request","request_id":"c","status":404}
`
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := dropAccessLines(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"t","level":"INFO","msg":"onit serving","addr":"127.0.0.1:1"}
{"time":"t","level":"ERROR","msg":"request","request_id":"b","status":500}
{"time":"t","level":"WARN","msg":"throttle store unavailable"}
`
	if string(got) != want {
		t.Errorf("log after dropping access lines:\n%s\nwant:\n%s", got, want)
	}
}
