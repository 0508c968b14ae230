package bootstrap

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/cli"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	dc "github.com/onitapp/onit/domain/cutover"
)

// heapSampler records the largest HeapInuse seen while it runs.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

func sampleHeap(every time.Duration) *heapSampler {
	s := &heapSampler{stop: make(chan struct{})}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		var m runtime.MemStats
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			s.peak = max(s.peak, m.HeapInuse)
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *heapSampler) Stop() uint64 {
	close(s.stop)
	s.done.Wait()
	return s.peak
}

func heapNow() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// fillDjango creates a Django source holding n users and returns its DSN;
// the rows are built here so they are garbage before the heap is measured.
func fillDjango(t *testing.T, n int) string {
	t.Helper()
	srcDSN, srcDB := mysqltest.DjangoDatabase(t)
	joined := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	users := make([]dc.SourceUser, n)
	for i := range users {
		id := int64(i + 1)
		users[i] = dc.SourceUser{ID: id, Email: fmt.Sprintf("user%d@example.com", id), FirstName: "User", LastName: fmt.Sprint(id),
			Password: fmt.Sprintf("pbkdf2_sha256$870000$salt%016d$c2FtZXNpemVhc2FyZWFsaGFzaG9mMzJieXRlc2FiY2Q=", id),
			IsActive: true, DateJoined: joined}
	}
	mysqltest.InsertDjangoUsers(t, srcDB, users)
	return srcDSN
}

// importN fills a Django source with n users and imports it with the
// command, sampling the heap while it runs. It returns the peak heap
// above the settled heap before the run, the report and the progress
// output.
func importN(t *testing.T, n int) (grew uint64, report map[string]any, progress string) {
	t.Helper()
	srcDSN := fillDjango(t, n)
	environ, _ := opsEnv(t)
	base := heapNow()
	s := sampleHeap(5 * time.Millisecond)
	code, stdout, stderr := runCLIInput(t, environ, "", "import", "django", "--source-dsn", srcDSN, "--format", "json")
	peak := s.Stop()
	if code != cli.ExitOK {
		t.Fatalf("import of %d users exited %d: %s", n, code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatal(err)
	}
	if peak > base {
		grew = peak - base
	}
	return grew, report, stderr
}

// TestImport100kUsersFlatMemory imports 10,000 and then 100,000 users and
// compares the heap each run needed above what was in use before it: with
// bounded batches the tenfold larger import needs no more memory. Keeping
// only 100 bytes per user would add about 9 MB and fail it.
func TestImport100kUsersFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 110,000 users")
	}
	small, _, _ := importN(t, 10_000)
	large, report, progress := importN(t, 100_000)
	t.Logf("heap above the settled baseline: %.1f MB for 10,000 users, %.1f MB for 100,000", float64(small)/1e6, float64(large)/1e6)
	users := report["users"].(map[string]any)
	if users["read"] != 100_000.0 || users["imported"] != 100_000.0 {
		t.Fatalf("users report = %v", users)
	}
	if v := report["verification"].(map[string]any); v["checked"] != float64(dc.SampleSize) || v["passed"] != v["checked"] {
		t.Errorf("verification = %v", v)
	}
	const slack = 8 << 20
	if large > small+slack {
		t.Errorf("100,000 users needed %.1f MB of heap, 10,000 needed %.1f MB: memory grows with the number of users",
			float64(large)/1e6, float64(small)/1e6)
	}
	lines := strings.Count(progress, "\nusers: ")
	if !strings.Contains(progress, "users: 100000 to go") || !strings.Contains(progress, "users: 50000/100000 (50%)") ||
		!strings.Contains(progress, "users: 100000/100000 (100%)") || lines > 15 {
		t.Errorf("progress output (%d users lines):\n%s", lines, progress)
	}
}
