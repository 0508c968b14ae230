//go:build devengines

package devengines

import (
	"fmt"

	"github.com/alicebob/miniredis/v2"
)

// StartRedis runs miniredis on a free loopback port and returns its address.
// stop shuts it down; the data is lost.
//
// miniredis's TTLs do not run by themselves (tests drive them with
// FastForward); ClockTTL makes them run on the wall clock, so in
// development throttle windows expire as
// they do on Redis instead of lasting until a restart.
func StartRedis() (addr string, stop func(), err error) {
	m, err := miniredis.Run()
	if err != nil {
		return "", nil, fmt.Errorf("devengines: miniredis: %w", err)
	}
	m.ClockTTL(true)
	return m.Addr(), m.Close, nil
}
