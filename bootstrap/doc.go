// Package bootstrap wires Onit together with go.uber.org/fx: one module per
// concern (settings, logging, MySQL, Redis, each feature module, HTTP) and
// one composition per environment (development, test, production), chosen
// by ONIT_ENV. Constructors stay plain Go; only this package knows fx.
//
// Tests swap adapters with a top-level fx.Decorate on the composition.
package bootstrap
