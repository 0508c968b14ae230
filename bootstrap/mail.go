package bootstrap

import (
	"context"
	"log/slog"
	"strings"

	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/i18n"
	"github.com/onitapp/onit/adapters/mail"
	appaccounts "github.com/onitapp/onit/app/accounts"
	"github.com/onitapp/onit/app/outbox"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/ports"
)

// mailModule is outgoing email: the sender (SMTP when ONIT_EMAIL_HOST is
// set, else the log, as Django's console backend) and the background
// sender that drains the outbox, started and stopped with the app.
var mailModule = fx.Module("mail",
	fx.Provide(
		mailConfig,
		fx.Annotate(newEmailSender, fx.As(new(ports.EmailSender))),
		func() outbox.Config { return outbox.Config{} },
		newOutboxSender,
	),
	fx.Invoke(runOutboxSender),
)

// mailConfig is the SMTP adapter's slice of the settings.
func mailConfig(e env.Email) mail.Config {
	return mail.Config{Host: e.EmailHost, Port: e.EmailPort, Username: e.EmailUsername, Password: e.EmailPassword,
		From: e.EmailFrom, TLS: e.EmailTLS, Timeout: e.EmailTimeout}
}

func newEmailSender(cfg mail.Config, log *slog.Logger) (ports.EmailSender, error) {
	if cfg.Host == "" {
		log.Info("email: no ONIT_EMAIL_HOST; emails are written to the log (console backend)")
		return mail.NewConsole(log), nil
	}
	s, err := mail.NewSMTP(cfg)
	if err != nil {
		return nil, &env.Error{Var: "ONIT_EMAIL_HOST, ONIT_EMAIL_FROM", Msg: err.Error()}
	}
	return s, nil
}

func newOutboxSender(cfg outbox.Config, r ports.Repos, s ports.EmailSender, clock ports.Clock, log *slog.Logger) *outbox.Sender {
	return outbox.NewSender(cfg, r.Outbox, s, clock, log)
}

// runOutboxSender runs the sender in a goroutine from start to stop; a
// message being sent at stop is left to its lease and sent again later.
func runOutboxSender(lc fx.Lifecycle, s *outbox.Sender) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() { defer close(done); s.Run(ctx) }()
			return nil
		},
		OnStop: func(stop context.Context) error {
			cancel()
			select {
			case <-done:
				return nil
			case <-stop.Done():
				return stop.Err()
			}
		},
	})
}

// passwordResetModule switches password resets on in the accounts
// service, counted on its throttle: the catalog for the emails, and the
// public URL for links.
var passwordResetModule = fx.Module("passwordreset",
	fx.Invoke(usePasswordResets),
)

func usePasswordResets(svc *appaccounts.Service, s env.Settings, r ports.Repos, cat *i18n.Catalog) {
	svc.UsePasswordResets(resetConfig(s), r.PasswordResets, cat)
}

// resetConfig fills the service's reset settings. Without ONIT_PUBLIC_URL
// links point at the first allowed host over HTTPS (`onit check --deploy`
// warns, W071).
func resetConfig(s env.Settings) appaccounts.ResetConfig {
	pr := s.PasswordReset
	public := pr.PublicURL
	if public == "" && len(s.Security.AllowedHosts) > 0 {
		public = "https://" + strings.TrimPrefix(s.Security.AllowedHosts[0], ".")
	}
	return appaccounts.ResetConfig{Age: pr.ResetTimeout, PublicURL: public, EmailLimit: pr.ResetThrottleEmail,
		ClientLimit: pr.ResetThrottleClient, Window: pr.ResetThrottleWindow}
}
