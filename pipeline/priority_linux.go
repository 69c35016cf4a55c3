package pipeline

import (
	"runtime"
	"syscall"
)

// lowerWriterPriority pins the calling goroutine to its own thread and
// lowers that thread's scheduling priority (nice 10), so that storing
// flows yields the CPU to forwarding and to the browser on the same
// machine. The writer's commits are bursts of SQLite work; at normal
// priority they delay the requests that arrive during them.
func lowerWriterPriority() {
	runtime.LockOSThread()
	// On Linux a thread ID names one thread for setpriority(2). Failure
	// (a sandbox that forbids it) leaves the default priority.
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 10)
}
