package bootstrap

import (
	"context"
	"log/slog"

	"go.uber.org/fx"

	"github.com/onitapp/onit/adapters/cli"
	"github.com/onitapp/onit/adapters/djangosession"
	"github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/app/cutover"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/ports"
)

// importPorts are what app/cutover's importer takes from the composition;
// the Django source and the session codec come from the command line.
type importPorts struct {
	fx.In
	UnitOfWork  ports.UnitOfWork
	Repos       ports.Repos
	Revocations ports.Revocations // both channels: the MySQL log and Redis pub/sub
	Inspector   ports.PasswordHashInspector
	Clock       ports.Clock
	Log         *slog.Logger
	I18n        env.I18n
}

// DjangoImporter implements cli.Backend.
func (b *backend) DjangoImporter(ctx context.Context, req cli.DjangoImport) (cli.Importer, func(), error) {
	s, _, err := b.load()
	if err != nil {
		return nil, nil, err
	}
	if err := needAccounts(s); err != nil {
		return nil, nil, err
	}
	// A nil codec imports no session; the report says why.
	var codec ports.DjangoSessionCodec
	if len(req.SecretKeys) > 0 {
		c, err := djangosession.New(req.SecretKeys[0], req.SecretKeys[1:]...)
		if err != nil {
			return nil, nil, cli.Usage(err)
		}
		codec = c
	}
	var p importPorts
	stop, err := start(ctx, importCommand(s, b.stdio.Err, &p))
	if err != nil {
		return nil, nil, err
	}
	src, err := mysql.OpenDjangoSource(ctx, req.DSN, mysqlConfig(s.MySQL), mysql.DjangoSourceConfig{
		UsersTable: req.UsersTable, SessionsTable: req.SessionsTable,
		Columns: mysql.DjangoUserColumns(req.Columns), Defaults: mysql.AuthUserColumns(),
	}, p.Log)
	if err != nil {
		stop()
		return nil, nil, err
	}
	release := func() {
		_ = src.Close()
		stop()
	}
	im := cutover.New(cutover.Config{BatchSize: req.BatchSize, DefaultLanguage: p.I18n.LanguageCode},
		src, codec, p.Inspector, p.UnitOfWork, p.Repos, p.Revocations, p.Clock, p.Log)
	return im, release, nil
}
