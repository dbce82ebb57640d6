//go:build unix

package node

import (
	"os/exec"
	"syscall"
)

// killGroup makes cmd run in its own process group and be killed with
// all of it, so that a timed-out shell's children die too.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
