package httpapi

import "github.com/onitapp/onit/domain/accounts"

// Principal is the authenticated caller. TEMPORARY until accounts_auth.go lands.
type Principal struct {
	User        accounts.User
	SessionHash string
	ViaCookie   bool
}
