package onittest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/onitapp/onit/bootstrap/onittest"
	"github.com/onitapp/onit/env"
)

// A configured read replica that does not answer neither stops start-up
// nor fails a request: /readyz stays 200 and says the primary serves its
// reads, lists answer from the primary, and a write opens the client's
// read-your-writes window.
func TestReplicaDownServesFromThePrimary(t *testing.T) {
	app := onittest.New(t, onittest.WithSettings(func(s *env.Settings) {
		s.MySQL.ReplicaHost, s.MySQL.ReplicaPort = "127.0.0.1", 1 // nothing listens on port 1
	}))
	r := app.Do(t, "GET", "/readyz", nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"mysql_replica":"down: the primary serves reads"`) {
		t.Fatalf("readyz = %d %s", r.Status, r.Body)
	}
	token, _ := app.NewUser(t, "replica")
	created := app.Do(t, "POST", "/api/v1/projects", map[string]any{"name": "Read me"}, onittest.Bearer(token)...)
	if created.Status != http.StatusCreated {
		t.Fatalf("create = %d %s", created.Status, created.Body)
	}
	if !strings.Contains(strings.Join(created.Header.Values("Set-Cookie"), "\n"), "onit_rw=") {
		t.Errorf("a write set no read-your-writes cookie: %v", created.Header.Values("Set-Cookie"))
	}
	list := app.Do(t, "GET", "/api/v1/projects", nil, onittest.Bearer(token)...)
	if list.Status != http.StatusOK || !strings.Contains(string(list.Body), "Read me") {
		t.Errorf("list = %d %s", list.Status, list.Body)
	}
}
