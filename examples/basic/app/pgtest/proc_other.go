//go:build !linux

package pgtest

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// DieWithParent would make the process of cmd receive sig when the process that started
// it dies; only Linux can, so elsewhere it does nothing.
func DieWithParent(cmd *exec.Cmd, sig syscall.Signal) {}

// children returns the processes whose parent is pid, from ps.
func children(pid int) ([]int, error) {
	out, err := exec.Command("ps", "-A", "-o", "pid=,ppid=").Output()
	if err != nil {
		return nil, err
	}
	var kids []int
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[1] == strconv.Itoa(pid) {
			k, _ := strconv.Atoi(f[0])
			kids = append(kids, k)
		}
	}
	return kids, nil
}
