// Package bootstrap wires Onit together with go.uber.org/fx and nothing
// else: one module per adapter and app module, and one composition per
// environment (environments.go), chosen by ONIT_ENV:
//
//   - Development runs whatever is not configured embedded (devengines
//     build tag) and migrates an embedded database on start;
//   - Test is the real adapters, which tests point at their own database
//     and Redis with fx.Decorate (onittest);
//   - Production needs every server configured and migrates only on
//     `onit serve --migrate`;
//   - InMemory is the memory twins of every store, for benchmarks of the
//     HTTP path.
//
// The management commands live in adapters/cli; bootstrap implements its
// Backend (commands.go), giving each command the modules it needs.
// Adapters take their own Config values, filled from the settings in
// config.go. Constructors stay plain Go; only this package knows fx.
package bootstrap
