package mysql

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDriverConfig(t *testing.T) {
	tests := []struct {
		name                 string
		cfg                  Config
		addr, user, db, pass string
	}{
		{
			name: "discrete fields",
			cfg:  Config{Host: "db.internal", Port: 3307, User: "onit", DBPassword: "pw", Database: "onit"},
			addr: "db.internal:3307", user: "onit", db: "onit", pass: "pw",
		},
		{
			name: "dsn wins and its charset, time zone and mode are overridden",
			cfg: Config{
				DSN:  "app:s3cret@tcp(10.0.0.5:3306)/prod?charset=latin1&time_zone=%27Europe%2FParis%27&sql_mode=%27%27&parseTime=false",
				Host: "ignored",
			},
			addr: "10.0.0.5:3306", user: "app", db: "prod", pass: "s3cret",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.DialTimeout = 3 * time.Second
			tt.cfg.QueryTimeout = 10 * time.Second
			dc, err := driverConfig(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if dc.Addr != tt.addr || dc.User != tt.user || dc.DBName != tt.db || dc.Passwd != tt.pass {
				t.Errorf("addr/user/db/pass = %s %s %s %s", dc.Addr, dc.User, dc.DBName, dc.Passwd)
			}
			if !dc.ParseTime || dc.Loc != time.UTC || !dc.RejectReadOnly {
				t.Errorf("parseTime=%v loc=%v rejectReadOnly=%v", dc.ParseTime, dc.Loc, dc.RejectReadOnly)
			}
			if dc.Collation != "utf8mb4_unicode_ci" {
				t.Errorf("collation = %s", dc.Collation)
			}
			// The charset is unexported; the formatted DSN shows it.
			if dsn := dc.FormatDSN(); !strings.Contains(dsn, "charset=utf8mb4") || strings.Contains(dsn, "latin1") {
				t.Errorf("charset not forced: %s", dsn)
			}
			if dc.Params["time_zone"] != "'+00:00'" {
				t.Errorf("time_zone = %s", dc.Params["time_zone"])
			}
			if !strings.Contains(dc.Params["sql_mode"], "STRICT_TRANS_TABLES") {
				t.Errorf("sql_mode = %s", dc.Params["sql_mode"])
			}
			for k := range dc.Params {
				if strings.Contains(k, "isolation") {
					t.Errorf("isolation set through DSN parameter %s: MySQL 8 and MariaDB name it differently", k)
				}
			}
			if dc.Timeout != 3*time.Second || dc.ReadTimeout != 10*time.Second || dc.WriteTimeout != 10*time.Second {
				t.Errorf("timeouts = %v %v %v", dc.Timeout, dc.ReadTimeout, dc.WriteTimeout)
			}
			if dc.TLS != nil {
				t.Error("TLS on without cfg.TLS")
			}
		})
	}
}

func TestDriverConfigBadDSNHidesPassword(t *testing.T) {
	_, err := driverConfig(Config{DSN: "user:hunter2@tcp(host:3306/db"})
	if err == nil {
		t.Fatal("want an error for a malformed DSN")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func TestDriverConfigTLS(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, selfSignedPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		caFile  string
		wantErr bool
		wantCA  bool
	}{
		{"system roots", "", false, false},
		{"rds bundle", ca, false, true},
		{"missing file", filepath.Join(dir, "absent.pem"), true, false},
		{"not pem", junk, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dc, err := driverConfig(Config{
				Host: "onit.abc.eu-west-1.rds.amazonaws.com", Port: 3306, TLS: true, TLSCAFile: tt.caFile,
			})
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if dc.TLS == nil {
				t.Fatal("TLS not configured")
			}
			if dc.TLS.ServerName != "onit.abc.eu-west-1.rds.amazonaws.com" || dc.TLS.MinVersion != tls.VersionTLS12 {
				t.Errorf("server name %q, min version %x", dc.TLS.ServerName, dc.TLS.MinVersion)
			}
			if (dc.TLS.RootCAs != nil) != tt.wantCA {
				t.Errorf("root CAs set: %v, want %v", dc.TLS.RootCAs != nil, tt.wantCA)
			}
			if dc.TLS.InsecureSkipVerify {
				t.Error("certificate verification off")
			}
		})
	}
}

func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestFlavorOf(t *testing.T) {
	tests := []struct {
		version, comment string
		want             Flavor
	}{
		{"8.0.39", "Source distribution", FlavorMySQL},
		{"8.0.39", "MySQL Community Server - GPL", FlavorMySQL},
		{"10.11.8-MariaDB-0ubuntu0.24.04.1", "Ubuntu 24.04", FlavorMariaDB},
		{"10.11.6-MariaDB", "mariadb.org binary distribution", FlavorMariaDB},
		{"8.0.31", "Dolt", FlavorEmbedded},
		{"8.0.31", "onit devengines (go-mysql-server)", FlavorEmbedded},
	}
	for _, tt := range tests {
		if got := flavorOf(tt.version, tt.comment); got != tt.want {
			t.Errorf("flavorOf(%q, %q) = %s, want %s", tt.version, tt.comment, got, tt.want)
		}
	}
}
