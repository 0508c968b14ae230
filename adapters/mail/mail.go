// Package mail delivers email: over SMTP (wneessen/go-mail) in production,
// or into the log (Django's console.EmailBackend) in development when no
// SMTP server is configured.
package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/email"
	"github.com/onitapp/onit/ports"
)

// TLS modes of Config.TLS.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which is required (port 587)
	TLSImplicit = "tls"      // TLS from the first byte (port 465; Django's EMAIL_USE_SSL)
	TLSNone     = "none"     // no encryption: only for a relay on the same host
)

// Config says where and how to send.
type Config struct {
	Host     string
	Port     int
	Username string // empty: no AUTH
	Password string
	From     string
	TLS      string        // TLSStartTLS (default), TLSImplicit or TLSNone
	Timeout  time.Duration // connect and each command; default 10 s
	// RootCAs verifies the server's certificate; nil: the system's.
	RootCAs *x509.CertPool
}

// SMTP sends each message over its own SMTP connection. Messages are
// rare (password resets), so a pool would only hold idle connections
// that servers drop.
type SMTP struct {
	cfg Config
}

var _ ports.EmailSender = (*SMTP)(nil)

// NewSMTP checks cfg and returns a sender.
func NewSMTP(cfg Config) (*SMTP, error) {
	if cfg.Host == "" || cfg.From == "" {
		return nil, errors.New("mail: SMTP needs a host and a From address")
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSStartTLS
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("mail: TLS mode %q is not one of starttls, tls, none", cfg.TLS)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	m := gomail.NewMsg()
	if err := m.From(cfg.From); err != nil {
		return nil, fmt.Errorf("mail: From address %q: %w", cfg.From, err)
	}
	return &SMTP{cfg: cfg}, nil
}

func (s *SMTP) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: s.cfg.Host, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12})}
	if s.cfg.Port > 0 {
		opts = append(opts, gomail.WithPort(s.cfg.Port))
	}
	switch s.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		// PLAIN refuses to send the password unencrypted; with TLSNone the
		// operator chose a local relay, where PLAIN-NOENC is acceptable.
		mech := gomail.SMTPAuthPlain
		if s.cfg.TLS == TLSNone {
			mech = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(mech),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	return gomail.NewClient(s.cfg.Host, opts...)
}

// Send delivers m. Unavailable for what may pass later (connection,
// TLS, a 4xx answer); Internal for a permanent 5xx refusal.
func (s *SMTP) Send(ctx context.Context, m email.Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return domain.Internal(fmt.Errorf("mail: from: %w", err))
	}
	if err := msg.To(m.To); err != nil {
		return domain.Internal(fmt.Errorf("mail: recipient: %w", err))
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	c, err := s.client()
	if err != nil {
		return domain.Internal(fmt.Errorf("mail: client: %w", err))
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(err)
	}
	return nil
}

// classify tells a permanent refusal (5xx, not temporary) from the rest.
func classify(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		return domain.Internal(fmt.Errorf("mail: refused: %w", err))
	}
	return domain.Unavailable(fmt.Errorf("mail: send: %w", err))
}

// Console writes each message, link included, to the log at info, as
// Django's console.EmailBackend prints it: development without an SMTP
// server still shows what a user would receive.
type Console struct{ log *slog.Logger }

var _ ports.EmailSender = (*Console)(nil)

// NewConsole returns a sender into log.
func NewConsole(log *slog.Logger) *Console { return &Console{log: log} }

// Send logs m.
func (c *Console) Send(ctx context.Context, m email.Message) error {
	if err := ctx.Err(); err != nil {
		return domain.Unavailable(err)
	}
	c.log.InfoContext(ctx, "email (console backend: not sent)", "to", m.To, "subject", m.Subject, "body", m.Body)
	return nil
}
