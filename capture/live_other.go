//go:build !linux

package capture

import (
	"context"
	"errors"

	"golang.org/x/net/bpf"
)

// CaptureInterface captures live traffic; it needs Linux AF_PACKET sockets
// and reports an error elsewhere. See the Linux build for the contract.
func CaptureInterface(ctx context.Context, iface string, filter []bpf.RawInstruction, emit EmitFunc) (Summary, error) {
	return Summary{}, errors.New("live capture is only supported on Linux; record with tcpdump or dumpcap and scan the file")
}
