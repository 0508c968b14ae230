package accounts

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/email"
	"github.com/onitapp/onit/ports"
)

// ResetConfig configures password resets (Django's PasswordResetView and
// PASSWORD_RESET_TIMEOUT).
type ResetConfig struct {
	// Age is how long a reset link works (ONIT_PASSWORD_RESET_TIMEOUT).
	Age time.Duration
	// PublicURL is the site's address as users reach it; links are
	// PublicURL + "/reset-password?token=…".
	PublicURL string
	// EmailLimit resets may be asked for one email, and ClientLimit
	// requests made from one client address, per Window. 0 switches a
	// limit off.
	EmailLimit  int
	ClientLimit int
	Window      time.Duration
}

// resets is what password resets need beyond the core service.
type resets struct {
	cfg  ResetConfig
	repo ports.PasswordResetRepository
	tr   ports.Translator
}

// UsePasswordResets enables password resets. Requests are counted on the
// service's throttle, per email and per client address, like every other
// password-related request (in production a FallbackThrottle: an outage
// weakens the limits to per-instance but never lifts them nor fails a
// request). Call it before serving.
func (s *Service) UsePasswordResets(cfg ResetConfig, repo ports.PasswordResetRepository, tr ports.Translator) {
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	s.resets = &resets{cfg: cfg, repo: repo, tr: tr}
}

// ResetLinkPath is the web app's page that reads a reset token.
const ResetLinkPath = "/reset-password"

// RequestPasswordReset emails a reset link to the account with that email,
// if there is one that can log in, in the user's saved language. The
// answer says nothing about the account: nil whether it exists or not,
// and also when the email's own limit is reached (then no mail goes out).
// ErrResetThrottled (RateLimited) when the client address asked too often;
// Invalid when the email is empty.
//
// Round-trips: two throttle attempts (Redis, 1 pipeline each), user by email (MySQL,
// 1), and for an account one transaction (BEGIN, INSERT reset, INSERT
// outbox, COMMIT). The email leaves later, from the outbox.
func (s *Service) RequestPasswordReset(ctx context.Context, addr, clientAddr string) error {
	if s.resets == nil {
		return domain.Internal(errResetsOff)
	}
	if strings.TrimSpace(addr) == "" {
		return domain.Invalid(domain.FieldError{Field: "email", Code: "required", Key: "accounts.email_required"})
	}
	if err := s.resetClientCheck(ctx, clientAddr); err != nil {
		return err
	}
	key := accounts.EmailKey(addr)
	cfg := s.resets.cfg
	email := ports.ThrottleCounter{Kind: kindResetEmail, ID: key, Limit: cfg.EmailLimit, Window: cfg.Window}
	if err := s.attempt(ctx, accounts.ErrResetThrottled, email); err != nil {
		if !domain.IsKind(err, domain.KindRateLimited) {
			return err
		}
		// The answer must not differ for a throttled email: say nothing.
		s.log.InfoContext(ctx, "password reset not sent: too many for this email")
		return nil
	}
	u, err := s.users.ByEmailKey(ctx, key)
	switch {
	case domain.IsKind(err, domain.KindNotFound):
		return nil
	case err != nil:
		return err
	}
	// As Django's PasswordResetForm: only active users with a usable
	// password (imported "!" ones have none to reset) get a link.
	if !u.CanLogIn() || strings.HasPrefix(u.PasswordHash, "!") {
		return nil
	}
	return s.sendPasswordReset(ctx, u, nil)
}

// sendPasswordReset issues a token and queues its email in one
// transaction: the link exists exactly when its email will be sent. also,
// when set, runs last in the same transaction (the staff console's audit
// entry).
func (s *Service) sendPasswordReset(ctx context.Context, u accounts.User, also func(ctx context.Context, r ports.Repos) error) error {
	token, err := s.random.Token(accounts.TokenBytes)
	if err != nil {
		return domain.Internal(err)
	}
	now := s.clock.Now().UTC()
	reset := accounts.NewPasswordReset(token, u, now, s.resets.cfg.Age)
	msg, err := s.resetEmail(u, token)
	if err != nil {
		return err
	}
	return s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		if err := r.PasswordResets.Create(ctx, reset); err != nil {
			return err
		}
		if err := r.Outbox.Enqueue(ctx, msg, now); err != nil {
			return err
		}
		if also != nil {
			return also(ctx, r)
		}
		return nil
	})
}

// resetEmail composes the reset email in the user's language.
func (s *Service) resetEmail(u accounts.User, token string) (email.Message, error) {
	tr, lang := s.resets.tr, u.Language
	link := s.resets.cfg.PublicURL + ResetLinkPath + "?token=" + url.QueryEscape(token)
	hours := int(s.resets.cfg.Age / time.Hour)
	subject := tr.T(lang, "accounts.reset_email_subject", nil)
	body := tr.T(lang, "accounts.reset_email_body", map[string]any{
		"name": u.Name, "email": u.Email, "link": link, "hours": hours})
	return email.NewMessage(u.Email, subject, body)
}

// ConfirmPasswordReset sets a new password with a reset token and revokes
// every session of the user (the same path as logout, for all of them).
// ErrResetTokenInvalid (Invalid, field token) when the token is unknown,
// used, expired, or the user's password, last login or email changed
// since it was issued; otherwise Invalid lists the validators' failures
// on new_password. ErrResetThrottled when the client asked too often.
//
// Round-trips: a rate-limit hit (Redis, 1), reset by hash and user by ID
// (MySQL, 2), one transaction (BEGIN, UPDATE reset, SELECT … FOR UPDATE +
// UPDATE user, SELECT + DELETE of the sessions, COMMIT), tombstones
// (Redis, 1 pipeline), and with local sessions one PUBLISH.
func (s *Service) ConfirmPasswordReset(ctx context.Context, token, newPassword, clientAddr string) error {
	if s.resets == nil {
		return domain.Internal(errResetsOff)
	}
	if err := s.resetClientCheck(ctx, clientAddr); err != nil {
		return err
	}
	if token == "" {
		return accounts.ErrResetTokenInvalid
	}
	now := s.clock.Now().UTC()
	reset, err := s.resets.repo.ByHash(ctx, accounts.HashToken(token))
	if domain.IsKind(err, domain.KindNotFound) {
		return accounts.ErrResetTokenInvalid
	}
	if err != nil {
		return err
	}
	u, err := s.users.ByID(ctx, reset.UserID)
	if domain.IsKind(err, domain.KindNotFound) {
		return accounts.ErrResetTokenInvalid
	}
	if err != nil {
		return err
	}
	if !reset.Usable(u, now) {
		return accounts.ErrResetTokenInvalid
	}
	if fields := s.checkPassword("new_password", newPassword, u.Email, u.Name); len(fields) > 0 {
		return domain.Invalid(fields...)
	}
	hash, err := s.hash(ctx, newPassword)
	if err != nil {
		return err
	}

	var revoked []string
	err = s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
		if err := r.PasswordResets.MarkUsed(ctx, reset.TokenHash, now); err != nil {
			if domain.IsKind(err, domain.KindConflict) || domain.IsKind(err, domain.KindNotFound) {
				return accounts.ErrResetTokenInvalid
			}
			return err
		}
		if _, err := r.Users.Update(ctx, u.ID, func(cur *accounts.User) error {
			// Checked again under the row lock: a login or password change
			// since our read voids the token.
			if !reset.Usable(*cur, now) {
				return accounts.ErrResetTokenInvalid
			}
			cur.PasswordHash = hash
			return nil
		}); err != nil {
			return err
		}
		var err error
		revoked, err = r.Sessions.DeleteForUser(ctx, u.ID, "")
		return err
	})
	if err != nil {
		return err
	}
	// A reset proves control of the mailbox: forgive the account's failed
	// attempts, as a successful login does.
	s.forgive(ctx, s.accountCounter(u.EmailKey))
	s.invalidate(ctx, ports.Invalidation{Sessions: revoked, Users: []int64{u.ID}}, true)
	return nil
}

// resetClientCheck counts a reset request from the client address.
func (s *Service) resetClientCheck(ctx context.Context, clientAddr string) error {
	cfg := s.resets.cfg
	client := ports.ThrottleCounter{Kind: kindResetClient, ID: clientAddr, Limit: cfg.ClientLimit, Window: cfg.Window}
	return s.attempt(ctx, accounts.ErrResetThrottled, client)
}

type resetsError string

func (e resetsError) Error() string { return string(e) }

const errResetsOff = resetsError("accounts: password resets are not configured")
