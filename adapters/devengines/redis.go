//go:build devengines

package devengines

import (
	"fmt"

	"github.com/alicebob/miniredis/v2"
)

// StartRedis runs miniredis on a free loopback port and returns its address.
// stop shuts it down; the data is lost.
func StartRedis() (addr string, stop func(), err error) {
	m, err := miniredis.Run()
	if err != nil {
		return "", nil, fmt.Errorf("devengines: miniredis: %w", err)
	}
	return m.Addr(), m.Close, nil
}
