package mail_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/onitapp/onit/adapters/mail"
	"github.com/onitapp/onit/adapters/mail/mailtest"
	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/email"
	"github.com/onitapp/onit/ports/porttest"
)

func TestSMTPContract(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts mailtest.Options
		tls  string
	}{
		{"starttls with auth", mailtest.Options{TLS: "starttls", Username: "onit", Password: "s3cret"}, mail.TLSStartTLS},
		{"implicit tls with auth", mailtest.Options{TLS: "tls", Username: "onit", Password: "s3cret"}, mail.TLSImplicit},
		{"plain local relay without auth", mailtest.Options{TLS: "none"}, mail.TLSNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := mailtest.Start(t, tt.opts)
			s, err := mail.NewSMTP(mail.Config{Host: srv.Host, Port: srv.Port, Username: tt.opts.Username,
				Password: tt.opts.Password, From: "Onit <noreply@onit.example>", TLS: tt.tls, RootCAs: srv.RootCAs})
			if err != nil {
				t.Fatal(err)
			}
			porttest.EmailSender(t, s, srv.Messages)
			if got := srv.Senders(); len(got) == 0 || got[0] != "noreply@onit.example" {
				t.Fatalf("MAIL FROM = %v", got)
			}
		})
	}
}

func TestSMTPFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := email.Message{To: "ada@example.com", Subject: "s", Body: "b"}
	newSender := func(t *testing.T, srv *mailtest.Server, cfg mail.Config) *mail.SMTP {
		t.Helper()
		cfg.Host, cfg.Port, cfg.From, cfg.RootCAs = srv.Host, srv.Port, "noreply@onit.example", srv.RootCAs
		s, err := mail.NewSMTP(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Run("wrong password is not delivered", func(t *testing.T) {
		t.Parallel()
		srv := mailtest.Start(t, mailtest.Options{TLS: "starttls", Username: "onit", Password: "s3cret"})
		err := newSender(t, srv, mail.Config{Username: "onit", Password: "wrong"}).Send(ctx, m)
		if err == nil || len(srv.Messages()) != 0 {
			t.Fatalf("Send = %v with %d messages, want a failure", err, len(srv.Messages()))
		}
	})
	t.Run("an untrusted certificate is refused", func(t *testing.T) {
		t.Parallel()
		srv := mailtest.Start(t, mailtest.Options{TLS: "starttls"})
		s, err := mail.NewSMTP(mail.Config{Host: srv.Host, Port: srv.Port, From: "noreply@onit.example"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, m); !domain.IsKind(err, domain.KindUnavailable) || len(srv.Messages()) != 0 {
			t.Fatalf("Send = %v, want Unavailable and nothing delivered", err)
		}
	})
	t.Run("starttls required but not offered", func(t *testing.T) {
		t.Parallel()
		srv := mailtest.Start(t, mailtest.Options{TLS: "none"})
		if err := newSender(t, srv, mail.Config{TLS: mail.TLSStartTLS}).Send(ctx, m); err == nil || len(srv.Messages()) != 0 {
			t.Fatalf("Send = %v, want a failure: the password must never travel in clear", err)
		}
	})
	t.Run("temporary refusal is Unavailable, permanent is Internal", func(t *testing.T) {
		t.Parallel()
		srv := mailtest.Start(t, mailtest.Options{TLS: "none"})
		s := newSender(t, srv, mail.Config{TLS: mail.TLSNone})
		srv.Refuse(451)
		if err := s.Send(ctx, m); !domain.IsKind(err, domain.KindUnavailable) {
			t.Fatalf("451: Send = %v, want Unavailable", err)
		}
		srv.Refuse(550)
		if err := s.Send(ctx, m); !domain.IsKind(err, domain.KindInternal) {
			t.Fatalf("550: Send = %v, want Internal", err)
		}
	})
	t.Run("no server is Unavailable", func(t *testing.T) {
		t.Parallel()
		s, err := mail.NewSMTP(mail.Config{Host: "127.0.0.1", Port: 1, From: "noreply@onit.example", TLS: mail.TLSNone})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, m); !domain.IsKind(err, domain.KindUnavailable) {
			t.Fatalf("Send = %v, want Unavailable", err)
		}
	})
	t.Run("bad settings are refused", func(t *testing.T) {
		t.Parallel()
		for _, cfg := range []mail.Config{{}, {Host: "h"}, {Host: "h", From: "not an address"}, {Host: "h", From: "a@b.c", TLS: "ssl"}} {
			if _, err := mail.NewSMTP(cfg); err == nil {
				t.Errorf("NewSMTP(%+v) accepted", cfg)
			}
		}
	})
}

func TestConsoleContract(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	c := mail.NewConsole(slog.New(slog.NewTextHandler(&buf, nil)))
	porttest.EmailSender(t, c, func() []email.Message {
		if !strings.Contains(buf.String(), "reset-password?token=abc_DEF-123") {
			return nil
		}
		// The log holds the whole message; the contract compares fields.
		return []email.Message{{To: "ada@example.com", Subject: "Réinitialisation du mot de passe",
			Body: "Bonjour Ada,\n\nhttps://onit.example/reset-password?token=abc_DEF-123\n"}}
	})
}
