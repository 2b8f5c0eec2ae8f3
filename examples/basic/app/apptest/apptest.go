// Package apptest runs the app binary as its ECS task runs it: a child process with
// exactly the task's environment, whose JSON log lines can be waited for. It is the one
// process harness of the app's tests and of the example's rehearsal (examples/basic
// imports it through its replace directive).
package apptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/seed07617466/privaterdsapi/examples/basic/app/pgtest"
)

// Buffer is a bytes.Buffer safe for concurrent writers and readers: a log destination.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Process is the app binary running as a child process.
type Process struct {
	// Cmd is the started command.
	Cmd    *exec.Cmd
	out    *Buffer
	exited chan struct{}
}

// Start runs bin in dir with exactly env (nothing inherited from this process), its
// output to a Buffer; the child is killed when this process dies.
func Start(bin, dir string, env []string) (*Process, error) {
	p := &Process{Cmd: exec.Command(bin), out: &Buffer{}, exited: make(chan struct{})}
	p.Cmd.Env, p.Cmd.Dir = env, dir
	p.Cmd.Stdout, p.Cmd.Stderr = p.out, p.out
	pgtest.DieWithParent(p.Cmd, syscall.SIGKILL)
	if err := p.Cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = p.Cmd.Wait(); close(p.exited) }()
	return p, nil
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.exited }

// Exited tells whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Output is what the process wrote so far, standard output and error.
func (p *Process) Output() string { return p.out.String() }

// Logged tells whether the process wrote a JSON log line with this message.
func (p *Process) Logged(msg string) bool { return Logged(p.Output(), msg) }

// Kill kills the process if it still runs, and waits for it.
func (p *Process) Kill() {
	if !p.Exited() {
		_ = p.Cmd.Process.Kill()
		<-p.exited
	}
}

// WaitUntil polls cond every 20 ms until it holds; it fails when the process exits first
// or the timeout passes.
func (p *Process) WaitUntil(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case <-p.exited:
			return fmt.Errorf("the app exited (%v)", p.Cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v", timeout)
		}
	}
	return nil
}

// Logged tells whether the JSON log lines of logs hold one with this message.
func Logged(logs, msg string) bool {
	for _, line := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			return true
		}
	}
	return false
}
