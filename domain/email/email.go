// Package email holds the outgoing email message and its delivery record
// in the outbox.
package email

import (
	"strings"
	"time"

	"github.com/onitapp/onit/domain"
)

// Message is one plain-text email to one recipient.
type Message struct {
	To      string
	Subject string
	Body    string
}

// NewMessage checks that m can be sent: a recipient without line breaks
// (header injection) and a subject on one line.
func NewMessage(to, subject, body string) (Message, error) {
	if to == "" || strings.ContainsAny(to, "\r\n") || strings.ContainsAny(subject, "\r\n") {
		return Message{}, domain.Internal(errBadMessage)
	}
	return Message{To: to, Subject: subject, Body: body}, nil
}

type messageError string

func (e messageError) Error() string { return string(e) }

const errBadMessage = messageError("email: recipient or subject holds a line break")

// Queued is a message in the outbox.
type Queued struct {
	ID       int64
	Message  Message
	Created  time.Time
	Attempts int
	// NextAttempt is when the message is due; a sender that claims it
	// moves it forward by its lease, so another sender leaves it alone.
	NextAttempt time.Time
	LastError   string
}

// MaxAttempts bounds the sending attempts of one message. With Backoff's
// schedule they span about three days, the default life of a reset link:
// later delivery would be useless.
const MaxAttempts = 25

// Backoff is the wait after the attempt-th failed attempt (1-based):
// 30 s doubling up to 4 hours.
func Backoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < 4*time.Hour; i++ {
		d *= 2
	}
	return min(d, 4*time.Hour)
}
