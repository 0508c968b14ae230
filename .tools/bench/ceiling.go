package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	onitmysql "github.com/onitapp/onit/adapters/mysql"
)

// The ceiling program is the same bench binary started with these
// variables set (see ceilingMain): the harness starts it next to Onit so
// every scenario can be stated as a fraction of what a bare echo v4
// program does with the same irreducible I/O on the same machine in the
// same run. Variables rather than flags keep the DSN's password off the
// process list.
const (
	ceilingAddrVar   = "ONIT_BENCH_CEILING_ADDR"   // listen address; its presence selects the ceiling program
	ceilingDSNVar    = "ONIT_BENCH_CEILING_DSN"    // the bench database (parseTime on)
	ceilingRedisVar  = "ONIT_BENCH_CEILING_REDIS"  // the bench Redis
	ceilingPrefixVar = "ONIT_BENCH_CEILING_PREFIX" // key prefix of the Redis GET ceiling
)

// ceilingJSON is the reference body: what a handler doing no I/O at all
// answers. Its size is close to GET /api/v1/me's.
var ceilingJSON = []byte(`{"id":1,"email":"bench@example.com","name":"Bench User","language":"en","is_staff":false,"date_joined":"2026-01-01T00:00:00Z"}`)

// ceilingTask is one task row as the list ceiling encodes it: the
// columns onitmysql.Ceiling reads (the same fields, so a row converts to
// it for free), with JSON names like Onit's.
type ceilingTask struct {
	ID          int64      `json:"id"`
	ProjectID   int64      `json:"project_id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Status      string     `json:"status"`
	Priority    int        `json:"priority"`
	AssigneeID  *int64     `json:"assignee_id"`
	DueDate     *time.Time `json:"due_date"`
	CreatedBy   int64      `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Version     int64      `json:"version"`
}

// ceilingTimeout bounds every call of the ceiling program, like Onit's
// request deadline.
const ceilingTimeout = 5 * time.Second

// ceilingMain runs the ceiling program until SIGTERM. It is a few dozen
// lines on purpose: everything Onit does beyond it is what the fraction
// measures.
func ceilingMain(addr string) int {
	db, err := sql.Open("mysql", os.Getenv(ceilingDSNVar))
	if err != nil {
		fmt.Fprintf(os.Stderr, "ceiling: %v\n", err)
		return 1
	}
	defer db.Close()
	// Onit's production pool sizes (ONIT_MYSQL_MAX_OPEN_CONNS,
	// ONIT_REDIS_POOL_SIZE), so neither side gets more connections.
	db.SetMaxOpenConns(10)
	db.SetMaxIdleConns(10)
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv(ceilingRedisVar), PoolSize: 20, DisableIdentity: true})
	defer rdb.Close()
	prefix := os.Getenv(ceilingPrefixVar)
	// The statements are the MySQL adapter's (SQL lives there); the
	// program around them stays bare.
	ceil := onitmysql.NewCeiling(db)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/json", func(c echo.Context) error {
		return c.JSONBlob(http.StatusOK, ceilingJSON)
	})
	e.GET("/redis/:id", func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), ceilingTimeout)
		defer cancel()
		b, err := rdb.Get(ctx, prefix+c.Param("id")).Bytes()
		if err != nil {
			return err
		}
		return c.JSONBlob(http.StatusOK, b)
	})
	e.GET("/list/:project", func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), ceilingTimeout)
		defer cancel()
		project, err := strconv.ParseInt(c.Param("project"), 10, 64)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "project id")
		}
		rows, err := ceil.FirstPage(ctx, project)
		if err != nil {
			return err
		}
		items := make([]ceilingTask, len(rows))
		for i, r := range rows {
			items[i] = ceilingTask(r)
		}
		return c.JSON(http.StatusOK, map[string]any{"items": items})
	})
	e.POST("/insert/:project/:user", func(c echo.Context) error {
		var in struct {
			Title       string `json:"title"`
			Description string `json:"description"`
		}
		if err := c.Bind(&in); err != nil {
			return err
		}
		project, perr := strconv.ParseInt(c.Param("project"), 10, 64)
		user, uerr := strconv.ParseInt(c.Param("user"), 10, 64)
		if perr != nil || uerr != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "project or user id")
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), ceilingTimeout)
		defer cancel()
		id, err := ceil.Insert(ctx, project, user, in.Title, in.Description, time.Now().UTC())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, map[string]int64{"id": id})
	})

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Shutdown(sctx)
	}()
	if err := e.Start(addr); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "ceiling: %v\n", err)
		return 1
	}
	return 0
}

// Ceiling keys, used in the JSON and the fractions.
const (
	ceilJSON   = "json_constant"
	ceilRedis  = "redis_get"
	ceilList   = "keyset_select_50"
	ceilInsert = "autocommit_insert"
)

// ceilingTitles name the ceilings in the tables.
var ceilingTitles = map[string]string{
	ceilJSON:   "ceiling: a JSON constant",
	ceilRedis:  "ceiling: one Redis GET + bytes",
	ceilList:   "ceiling: one keyset SELECT of 50 rows + JSON",
	ceilInsert: "ceiling: one autocommit INSERT",
}

// scenarioCeilings lists, per scenario, the ceilings it is compared with;
// the first is the one its fraction is stated against. GET one task is
// also compared with the JSON constant, its ceiling once warm reads cost
// no Redis command.
var scenarioCeilings = map[string][]string{
	scGetTask:   {ceilRedis, ceilJSON},
	scListTasks: {ceilList},
	scGetMe:     {ceilJSON},
	scPostTask:  {ceilInsert},
	scPatchTask: {ceilInsert},
}

// ceilingSet builds the ceiling scenarios against the running program.
type ceilingSet struct {
	base      string
	fx        *fixture
	auth      http.Header
	projectID int64
	userID    int64
}

func (s *ceilingSet) scenario(key string) scenario {
	switch key {
	case ceilRedis:
		urls := make([]string, len(s.fx.Tasks))
		for i, t := range s.fx.Tasks {
			urls[i] = s.base + "/redis/" + strconv.FormatInt(t.ID, 10)
		}
		return rotatingGet(key, urls, s.auth)
	case ceilList:
		return rotatingGet(key, []string{s.base + "/list/" + strconv.FormatInt(s.projectID, 10)}, s.auth)
	case ceilInsert:
		url := fmt.Sprintf("%s/insert/%d/%d", s.base, s.projectID, s.userID)
		hdr := s.auth.Clone()
		hdr.Set("Content-Type", "application/json")
		return postScenario(key, url, hdr)
	}
	return rotatingGet(ceilJSON, []string{s.base + "/json"}, s.auth)
}

// seedCeilingKeys stores, for every seeded task, the task's own JSON as
// Onit serves it under the ceiling's prefix: the Redis GET ceiling reads
// values of the real size. They are deleted with the bench's other keys.
func seedCeilingKeys(ctx context.Context, rdb *redis.Client, prefix string, tasks []task, body []byte) error {
	const batch = 500
	for i := 0; i < len(tasks); i += batch {
		pipe := rdb.Pipeline()
		for _, t := range tasks[i:min(i+batch, len(tasks))] {
			pipe.Set(ctx, prefix+strconv.FormatInt(t.ID, 10), body, time.Hour)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("seed ceiling keys: %w", err)
		}
	}
	return nil
}
