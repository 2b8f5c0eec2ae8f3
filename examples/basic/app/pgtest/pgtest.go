// Package pgtest starts a throwaway PostgreSQL server for tests: the local server binaries
// (Debian's `postgresql` package, or any initdb and postgres), a new cluster in a temporary
// directory, listening on a free loopback port and accepting TCP connections over TLS only
// (like RDS with rds.force_ssl=1), with a server certificate from a CA made for the run.
//
// PostgreSQL refuses to run as root; when the tests run as root (as CI does), the cluster
// belongs to the `postgres` user and the server runs as that user.
//
// It uses the standard library only, so that a module without a database driver can use
// it: SQL goes through psql over the cluster's private Unix socket.
package pgtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Install tells how to get the server binaries; it ends every "not found" error.
const Install = "These tests need a real PostgreSQL server. On Debian or Ubuntu install it with " +
	"`apt-get install postgresql` (as root; .ci/run does this), on macOS with `brew install postgresql`, " +
	"or set PG_BINDIR to the directory that holds initdb, postgres and psql."

// startTimeout bounds the wait for the server to accept connections.
const startTimeout = 30 * time.Second

// Server is a running (or stopped) throwaway PostgreSQL cluster.
type Server struct {
	// Host is the loopback address the server listens on.
	Host string
	// Port is the server's TCP port.
	Port int
	// SuperUser and SuperPassword are the cluster's superuser and its password, for TCP
	// connections (scram-sha-256 over TLS).
	SuperUser, SuperPassword string
	// CAFile is the PEM file of the CA that signed the server certificate: the
	// sslrootcert that makes sslmode=verify-full succeed.
	CAFile string
	// WrongCAFile is the PEM file of another CA, with the same name, that did not sign the
	// server certificate: verify-full with it must fail.
	WrongCAFile string

	dir, dataDir, sockDir, logFile string
	bin                            string
	cred                           *syscall.Credential
	cmd                            *exec.Cmd
	exited                         chan struct{}
}

// Start creates a cluster in a new temporary directory and starts the server on a free
// loopback port. Close stops it and removes the directory.
func Start() (*Server, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	cred, uid, gid, err := serverUser()
	if err != nil {
		return nil, err
	}
	base := os.TempDir()
	if cred != nil && !reachableByOthers(base) {
		base = "/tmp" // e.g. TMPDIR under /root, which the postgres user cannot enter
	}
	dir, err := os.MkdirTemp(base, "pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{
		Host: "127.0.0.1", SuperUser: "postgres", SuperPassword: randomToken(24),
		dir: dir, dataDir: filepath.Join(dir, "data"), sockDir: filepath.Join(dir, "sock"),
		logFile: filepath.Join(dir, "postgres.log"), bin: bin, cred: cred,
	}
	if err := s.prepare(uid, gid); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	// A port that was free a moment ago can be taken before the server binds it: try a few.
	for attempt := 0; ; attempt++ {
		if s.Port, err = FreePort(); err == nil {
			if err = s.Resume(); err == nil {
				return s, nil
			}
		}
		if attempt == 2 || !strings.Contains(err.Error(), "already in use") {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
}

// prepare writes the certificates and the password file, makes the cluster with initdb
// and replaces its pg_hba.conf: local connections (the Unix socket in the private
// directory) are trusted, TCP connections need TLS and a password.
func (s *Server) prepare(uid, gid int) error {
	pki, err := newPKI()
	if err != nil {
		return err
	}
	pwfile := filepath.Join(s.dir, "pwfile")
	s.CAFile = filepath.Join(s.dir, "ca.crt")
	s.WrongCAFile = filepath.Join(s.dir, "wrong-ca.crt")
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{pwfile, []byte(s.SuperPassword + "\n"), 0o600},
		{s.CAFile, pki.caPEM, 0o644},
		{s.WrongCAFile, pki.wrongCAPEM, 0o644},
		{filepath.Join(s.dir, "server.crt"), pki.certPEM, 0o644},
		{filepath.Join(s.dir, "server.key"), pki.keyPEM, 0o600}, // PostgreSQL insists on 0600
	}
	if err := os.Mkdir(s.sockDir, 0o700); err != nil {
		return err
	}
	for _, f := range files {
		if err := os.WriteFile(f.name, f.data, f.mode); err != nil {
			return err
		}
	}
	if s.cred != nil {
		for _, p := range []string{s.dir, s.sockDir, pwfile, filepath.Join(s.dir, "server.crt"), filepath.Join(s.dir, "server.key")} {
			if err := os.Chown(p, uid, gid); err != nil {
				return fmt.Errorf("pgtest: chown %s to the postgres user: %w", p, err)
			}
		}
	}
	initdb := s.command(filepath.Join(s.bin, "initdb"),
		"-D", s.dataDir, "-U", s.SuperUser, "--pwfile="+pwfile, "-E", "UTF8", "--locale=C",
		"--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "--no-instructions")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	hba := "# pgtest: the private Unix socket is trusted; TCP needs TLS and a password.\n" +
		"local all all trust\n" +
		"hostssl all all 127.0.0.1/32 scram-sha-256\n" +
		"hostssl all all ::1/128 scram-sha-256\n"
	// initdb made pg_hba.conf as the server's user; writing it as root keeps that owner.
	return os.WriteFile(filepath.Join(s.dataDir, "pg_hba.conf"), []byte(hba), 0o600)
}

// Resume starts the server (again) on Port and waits until it accepts connections. Start
// calls it; after Stop, it brings the same cluster back on the same port.
func (s *Server) Resume() error {
	if s.cmd != nil {
		return errors.New("pgtest: the server is already running")
	}
	logf, err := os.OpenFile(s.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own copy
	settings := []string{
		"listen_addresses=" + s.Host,
		"port=" + strconv.Itoa(s.Port),
		"unix_socket_directories=" + s.sockDir,
		"ssl=on",
		"ssl_cert_file=" + filepath.Join(s.dir, "server.crt"),
		"ssl_key_file=" + filepath.Join(s.dir, "server.key"),
		"max_connections=200",
		"lc_messages=C",
		// A throwaway cluster: durability buys nothing, speed does.
		"fsync=off", "synchronous_commit=off", "full_page_writes=off",
	}
	args := []string{"-D", s.dataDir}
	for _, setting := range settings {
		args = append(args, "-c", setting)
	}
	cmd := s.command(filepath.Join(s.bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// If the test process dies without Close, the server shuts down too.
	DieWithParent(cmd, syscall.SIGINT)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) { _ = cmd.Wait(); close(exited) }(s.exited)

	deadline := time.Now().Add(startTimeout)
	for {
		if _, err := s.Query("SELECT 1"); err == nil {
			return nil
		}
		select {
		case <-s.exited:
			s.cmd = nil
			return fmt.Errorf("pgtest: postgres exited at start; could not serve on port %d:\n%s", s.Port, s.LogTail(20))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.Stop()
			return fmt.Errorf("pgtest: postgres did not accept connections within %v:\n%s", startTimeout, s.LogTail(20))
		}
	}
}

// Stop shuts the server down (fast shutdown: open sessions are ended) and keeps the
// cluster, so that Resume can bring it back.
func (s *Server) Stop() error {
	if s.cmd == nil {
		return nil
	}
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		return errors.New("pgtest: postgres did not stop within 30s and was killed")
	}
}

// Freeze stops every process of the server (SIGSTOP) without closing a connection: the
// database then answers nothing, as one that hangs or is cut off by the network. Thaw
// resumes it.
func (s *Server) Freeze() error {
	if s.cmd == nil {
		return errors.New("pgtest: the server is not running")
	}
	// The postmaster first, so that it forks no backend meanwhile. Its children each run
	// in a session of their own: a process group signal would miss them.
	pid := s.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return err
	}
	kids, err := children(pid)
	for _, k := range kids {
		err = errors.Join(err, syscall.Kill(k, syscall.SIGSTOP))
	}
	return err
}

// Thaw resumes a frozen server.
func (s *Server) Thaw() error {
	if s.cmd == nil {
		return errors.New("pgtest: the server is not running")
	}
	pid := s.cmd.Process.Pid
	kids, err := children(pid)
	for _, k := range kids {
		err = errors.Join(err, syscall.Kill(k, syscall.SIGCONT))
	}
	return errors.Join(err, syscall.Kill(pid, syscall.SIGCONT))
}

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	err := s.Stop()
	return errors.Join(err, os.RemoveAll(s.dir))
}

// Exec runs each statement on the database "postgres" as the superuser, through psql,
// each on its own (so that CREATE DATABASE and the like work).
func (s *Server) Exec(statements ...string) error {
	args := []string{}
	for _, st := range statements {
		args = append(args, "-c", st)
	}
	_, err := s.psql("postgres", args...)
	return err
}

// Query runs one statement on the database "postgres" as the superuser and returns its
// rows, unaligned: one line per row, columns separated by "|".
func (s *Server) Query(sql string) (string, error) {
	return s.psql("postgres", "-c", sql)
}

func (s *Server) psql(db string, args ...string) (string, error) {
	base := []string{"-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", s.sockDir, "-p", strconv.Itoa(s.Port), "-U", s.SuperUser, "-d", db}
	// psql is a client: it may run as root; trust on the private socket lets it in.
	cmd := exec.Command(filepath.Join(s.bin, "psql"), append(base, args...)...)
	cmd.Env = cleanEnv()
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("pgtest: psql: %w: %s", err, strings.TrimSpace(string(exit.Stderr)))
		}
		return "", fmt.Errorf("pgtest: psql: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// CreateRole creates a login role with a password.
func (s *Server) CreateRole(name, password string) error {
	return s.Exec(fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD %s", QuoteIdent(name), QuoteLiteral(password)))
}

// CreateDatabase creates a database owned by owner, as RDS creates DBName for the master
// user.
func (s *Server) CreateDatabase(name, owner string) error {
	return s.Exec(fmt.Sprintf("CREATE DATABASE %s OWNER %s", QuoteIdent(name), QuoteIdent(owner)))
}

// DropDatabase drops a database, ending its sessions.
func (s *Server) DropDatabase(name string) error {
	return s.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", QuoteIdent(name)))
}

// LogTail returns the last n lines of the server's log.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.logFile)
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// QuoteIdent quotes an SQL identifier.
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// QuoteLiteral quotes an SQL string literal (standard_conforming_strings is on, PostgreSQL's
// default, so backslashes are literal).
func QuoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// command prepares a server-side command, run as the postgres user when this process is
// root.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = s.dir
	cmd.Env = cleanEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	return cmd
}

// cleanEnv is this process's environment without the PG* variables, which would change
// what initdb, postgres and psql do.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

// findBinaries returns the directory of initdb, postgres and psql: PG_BINDIR, else the
// newest /usr/lib/postgresql/<major>/bin (Debian and Ubuntu), else the one on PATH.
func findBinaries() (string, error) {
	has := func(dir string) bool {
		for _, name := range []string{"initdb", "postgres", "psql"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if dir := os.Getenv("PG_BINDIR"); dir != "" {
		if has(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("pgtest: PG_BINDIR=%s has no initdb, postgres and psql. %s", dir, Install)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return major(dirs[i]) > major(dirs[j]) })
	for _, dir := range dirs {
		if has(dir) {
			return dir, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("pgtest: no PostgreSQL server binaries (initdb, postgres, psql) in $PG_BINDIR, "+
		"/usr/lib/postgresql/*/bin or $PATH. %s", Install)
}

// major is the version number in /usr/lib/postgresql/<major>/bin, 0 if none.
func major(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// serverUser returns the credential to run the server with: nil when this process is not
// root, the postgres user's when it is.
func serverUser() (cred *syscall.Credential, uid, gid int, err error) {
	if os.Geteuid() != 0 {
		return nil, os.Getuid(), os.Getgid(), nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, 0, 0, fmt.Errorf("pgtest: running as root, which PostgreSQL refuses, and there is no "+
			"`postgres` user to run the server as (%v). %s", err, Install)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, uid, gid, nil
}

// reachableByOthers tells whether every directory on the way to dir lets other users
// through.
func reachableByOthers(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
