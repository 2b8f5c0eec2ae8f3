package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

func TestConfigDefaults(t *testing.T) {
	vars := taskEnv("app")
	delete(vars, "DB_SSLROOTCERT")
	delete(vars, "API_STAGE")
	// The default CA bundle is the image's; here it does not exist.
	_, err := loadConfig(getenv(vars))
	if err == nil || !strings.Contains(err.Error(), "DB_SSLROOTCERT="+defaultSSLRootCert) {
		t.Fatalf("without the image's CA bundle: err = %v, want one naming DB_SSLROOTCERT=%s", err, defaultSSLRootCert)
	}

	vars["DB_SSLROOTCERT"] = pg.CAFile
	c, err := loadConfig(getenv(vars))
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "" || c.Port != "8080" || c.Stage != "" {
		t.Errorf("listen %q:%q stage %q, want all interfaces, port 8080, no stage", c.Host, c.Port, c.Stage)
	}
	if c.DB.SSLMode != "verify-full" || !c.DB.verifies() {
		t.Errorf("DB_SSLMODE defaults to %q, want verify-full", c.DB.SSLMode)
	}
	if c.DB.MaxConns != 10 {
		t.Errorf("pool size %d, want 10", c.DB.MaxConns)
	}
}

// TestConfigErrors checks that every bad variable is named, all at once, and that the
// password never appears in the error.
func TestConfigErrors(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		vars    map[string]string // over taskEnv's, or alone when nil
		want    []string
		notWant []string
	}{
		{"nothing set", nil,
			[]string{"DB_HOST is not set", "DB_PORT is not set", "DB_NAME is not set", "DB_USER is not set", "DB_PASSWORD is not set"}, nil},
		{"blank", map[string]string{"DB_HOST": "  ", "DB_PORT": ""},
			[]string{"DB_HOST is not set", "DB_PORT is not set"}, nil},
		{"ports", map[string]string{"PORT": "http", "DB_PORT": "70000"},
			[]string{`PORT="http" is not a TCP port`, `DB_PORT="70000" is not a TCP port`}, nil},
		{"stage with a slash", map[string]string{"API_STAGE": "prod/v1"}, []string{`API_STAGE="prod/v1" is not a stage name`}, nil},
		{"stage named like a route", map[string]string{"API_STAGE": "items"}, []string{`API_STAGE="items" is also a route`}, nil},
		{"ssl mode", map[string]string{"DB_SSLMODE": "verify_full"}, []string{`DB_SSLMODE="verify_full" is not one of`}, nil},
		{"missing CA file", map[string]string{"DB_SSLROOTCERT": "/nonexistent/ca.pem"},
			[]string{"DB_SSLROOTCERT=/nonexistent/ca.pem: no such file or directory"}, nil},
		{"CA file without a certificate", map[string]string{"DB_SSLROOTCERT": notPEM},
			[]string{"DB_SSLROOTCERT=" + notPEM + ": no PEM certificate"}, nil},
		{"pool size", map[string]string{"DB_MAX_CONNS": "0"}, []string{`DB_MAX_CONNS="0" is not a number`}, nil},
		{"IAM with a password", map[string]string{"DB_IAM_AUTH": "true", "AWS_REGION": "us-east-1"},
			[]string{"DB_PASSWORD is set although DB_IAM_AUTH=true"}, nil},
		{"IAM without a Region", map[string]string{"DB_IAM_AUTH": "TRUE", "DB_PASSWORD": ""},
			[]string{"AWS_REGION is not set"}, []string{"DB_PASSWORD"}},
		{"IAM without TLS", map[string]string{"DB_IAM_AUTH": "true", "DB_PASSWORD": "", "AWS_REGION": "us-east-1", "DB_SSLMODE": "prefer"},
			[]string{"DB_SSLMODE=prefer with DB_IAM_AUTH=true could send the token without TLS"}, nil},
		{"IAM not a boolean", map[string]string{"DB_IAM_AUTH": "yes"}, []string{`DB_IAM_AUTH="yes" is neither true nor false`}, nil},
		{"IAM and nothing else", map[string]string{"DB_HOST": "", "DB_PORT": "", "DB_NAME": "", "DB_USER": "", "DB_PASSWORD": "", "DB_IAM_AUTH": "true"},
			[]string{"DB_HOST is not set", "DB_PORT is not set", "DB_NAME is not set", "DB_USER is not set", "AWS_REGION is not set"},
			[]string{"DB_PASSWORD"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{}
			if tc.vars != nil {
				vars = taskEnv("app")
			}
			for k, v := range tc.vars {
				vars[k] = v
			}
			_, err := loadConfig(getenv(vars))
			if err == nil {
				t.Fatalf("no error for %v", tc.vars)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q says %q", err, w)
				}
			}
			checkNoPassword(t, "error", err.Error())
		})
	}
}

// TestConfigNoVerification: sslmode=disable needs no CA file (and run logs a warning).
func TestConfigNoVerification(t *testing.T) {
	vars := taskEnv("app")
	vars["DB_SSLMODE"] = "disable"
	vars["DB_SSLROOTCERT"] = "/nonexistent/ca.pem"
	c, err := loadConfig(getenv(vars))
	if err != nil {
		t.Fatal(err)
	}
	if c.DB.verifies() {
		t.Error("disable verifies")
	}
}

// TestPoolConfig checks that every credential character survives into the pgx config and
// that verify-full checks the host name.
func TestPoolConfig(t *testing.T) {
	vars := taskEnv("my-db")
	vars["DB_USER"] = "user@example:x"
	vars["DB_MAX_CONNS"] = "7"
	pc := poolConfigOf(t, vars)
	cc := pc.ConnConfig
	if cc.Password != appPassword || cc.User != "user@example:x" || cc.Database != "my-db" {
		t.Errorf("user %q password ok %v database %q", cc.User, cc.Password == appPassword, cc.Database)
	}
	if cc.Host != pg.Host || int(cc.Port) != pg.Port {
		t.Errorf("host %s:%d", cc.Host, cc.Port)
	}
	if cc.TLSConfig == nil || cc.TLSConfig.ServerName != pg.Host || cc.TLSConfig.InsecureSkipVerify || len(cc.Fallbacks) != 0 {
		t.Errorf("TLS is not verify-full: %+v, %d fallbacks", cc.TLSConfig, len(cc.Fallbacks))
	}
	if cc.ConnectTimeout != connectTimeout || pc.MaxConns != 7 {
		t.Errorf("connect timeout %v, pool size %d", cc.ConnectTimeout, pc.MaxConns)
	}
}

// poolConfigOf is the pool configuration the app makes from the environment vars.
func poolConfigOf(t *testing.T, vars map[string]string) *pgxpool.Config {
	t.Helper()
	c, err := loadConfig(getenv(vars))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := c.DB.poolConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

// TestRunRefusesBadConfig: the process exits 2 at once, naming the problem, and never logs
// the password.
func TestRunRefusesBadConfig(t *testing.T) {
	vars := taskEnv("app")
	delete(vars, "DB_HOST")
	var out bytes.Buffer
	if code := run(context.Background(), getenv(vars), &out); code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	lines := logLines(t, out.String())
	if len(lines) != 1 || lines[0]["msg"] != "invalid configuration" || !strings.Contains(lines[0]["error"].(string), "DB_HOST is not set") {
		t.Errorf("logs: %s", out.String())
	}
	checkNoPassword(t, "logs", out.String())
}

// TestConfigIAM: DB_IAM_AUTH=true needs no DB_PASSWORD, reads the Region as the SDK does
// (AWS_REGION, else AWS_DEFAULT_REGION), and the pool gets its password from the token
// source at each connection, none from the environment.
func TestConfigIAM(t *testing.T) {
	vars := iamEnv("app")
	c, err := loadConfig(getenv(vars))
	if err != nil {
		t.Fatal(err)
	}
	if !c.DB.IAMAuth || c.DB.Region != "us-east-1" || c.DB.Password != "" {
		t.Errorf("IAM %v, Region %q, a password: %v", c.DB.IAMAuth, c.DB.Region, c.DB.Password != "")
	}
	if _, err := c.DB.poolConfig(nil); err == nil {
		t.Error("a pool configuration with IAM authentication and no token source")
	}
	pc, err := c.DB.poolConfig(&rotatingTokens{})
	if err != nil {
		t.Fatal(err)
	}
	if pc.BeforeConnect == nil || pc.ConnConfig.Password != "" || pc.MaxConnLifetime != maxConnLifetime {
		t.Errorf("BeforeConnect set %v, a password in the configuration %v, lifetime %v",
			pc.BeforeConnect != nil, pc.ConnConfig.Password != "", pc.MaxConnLifetime)
	}

	delete(vars, "AWS_REGION")
	vars["AWS_DEFAULT_REGION"] = "eu-central-1"
	if c, err := loadConfig(getenv(vars)); err != nil || c.DB.Region != "eu-central-1" {
		t.Errorf("with AWS_DEFAULT_REGION only: Region %q, %v", c.DB.Region, err)
	}

	// DB_IAM_AUTH=false is the default: the password is required and used.
	vars = taskEnv("app")
	vars["DB_IAM_AUTH"] = "false"
	if c, err := loadConfig(getenv(vars)); err != nil || c.DB.IAMAuth || c.DB.Password != appPassword {
		t.Errorf("DB_IAM_AUTH=false: IAM %v, password kept %v, %v", c.DB.IAMAuth, c.DB.Password == appPassword, err)
	}
	if pc := poolConfigOf(t, vars); pc.BeforeConnect != nil {
		t.Error("BeforeConnect without IAM authentication")
	}
}
