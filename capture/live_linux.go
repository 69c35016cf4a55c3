//go:build linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// liveReadTimeout is how long a live capture waits for a packet before it
// looks at its context and at idle connections again.
const liveReadTimeout = 250 * time.Millisecond

// CaptureInterface captures the traffic of network interface iface (Linux
// AF_PACKET, no cgo; needs root or CAP_NET_RAW) and calls emit for every
// plaintext HTTP/1.x exchange, exactly as ReadPcap does for a file. filter,
// when not nil, is a classic BPF program run by the kernel on each frame
// (PortFilter builds one; `tcpdump -dd` prints others); nil captures
// everything. It runs until ctx is done, then finishes the connections in
// flight and returns their flows; the end of ctx is the normal way to stop
// and is not reported as an error. Interfaces with Ethernet framing
// (Ethernet, loopback) and raw-IP interfaces (tun) are supported.
func CaptureInterface(ctx context.Context, iface string, filter []bpf.RawInstruction, emit EmitFunc) (Summary, error) {
	sum, err := captureInterface(ctx, iface, filter, emit)
	return sum, unwrapEmit(err)
}

func captureInterface(ctx context.Context, iface string, filter []bpf.RawInstruction, emit EmitFunc) (sum Summary, err error) {
	defer sum.finish()
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return sum, fmt.Errorf("capture on %s: %w", iface, err)
	}
	link, err := interfaceLinkType(iface)
	if err != nil {
		return sum, fmt.Errorf("capture on %s: %w", iface, err)
	}
	f, err := openPacketSocket(ifi.Index, filter)
	if err != nil {
		return sum, fmt.Errorf("capture on %s: %w", iface, err)
	}
	defer f.Close()
	raw, err := f.SyscallConn()
	if err != nil {
		return sum, fmt.Errorf("capture on %s: %w", iface, err)
	}
	loopback := ifi.Flags&net.FlagLoopback != 0
	// 256 KiB holds any frame, including GRO-merged ones on loopback.
	buf := make([]byte, 256<<10)
	a := newFlowAssembler(&sum)
	finish := func(err error) (Summary, error) {
		a.closeAll()
		if derr := a.drain(emit); derr != nil && err == nil {
			err = derr
		}
		return sum, err
	}
	for ctx.Err() == nil {
		if err := f.SetReadDeadline(time.Now().Add(liveReadTimeout)); err != nil {
			return finish(fmt.Errorf("capture on %s: %w", iface, err))
		}
		var n int
		var from unix.Sockaddr
		var recvErr error
		err := raw.Read(func(fd uintptr) bool {
			n, from, recvErr = unix.Recvfrom(int(fd), buf, 0)
			return !errors.Is(recvErr, unix.EAGAIN)
		})
		now := time.Now()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			a.flushIdle(now)
			if err := a.drain(emit); err != nil {
				return finish(err)
			}
			continue
		}
		if err == nil {
			err = recvErr
		}
		if err != nil {
			return finish(fmt.Errorf("capture on %s: read packet: %w", iface, err))
		}
		// On loopback every packet is seen leaving and arriving; keep one.
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && loopback && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		a.handle(packet{Data: buf[:n], Timestamp: now, Link: link, Length: n})
		if err := a.drain(emit); err != nil {
			return finish(err)
		}
	}
	return finish(nil)
}

// openPacketSocket opens a non-blocking AF_PACKET socket bound to one
// interface, wrapped in an *os.File so that the runtime poller serves its
// reads and a deadline can interrupt them. The filter is attached before
// the bind so that no unfiltered packet is queued.
func openPacketSocket(ifIndex int, filter []bpf.RawInstruction) (*os.File, error) {
	proto := int(htons(unix.ETH_P_ALL))
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, fmt.Errorf("open packet socket (needs root or CAP_NET_RAW): %w", err)
	}
	if len(filter) > 0 {
		prog := make([]unix.SockFilter, len(filter))
		for i, ins := range filter {
			prog[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
		}
		fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
		if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("attach BPF filter: %w", err)
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: uint16(proto), Ifindex: ifIndex}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind packet socket: %w", err)
	}
	return os.NewFile(uintptr(fd), "packet socket"), nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// interfaceLinkType maps the interface's ARPHRD type to the framing its
// packets arrive with.
func interfaceLinkType(iface string) (linkType, error) {
	b, err := os.ReadFile("/sys/class/net/" + iface + "/type")
	if err != nil {
		return 0, fmt.Errorf("read interface type: %w", err)
	}
	arphrd, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("read interface type: %w", err)
	}
	switch arphrd {
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK:
		return linkEthernet, nil
	case unix.ARPHRD_NONE, unix.ARPHRD_TUNNEL, unix.ARPHRD_TUNNEL6:
		return linkRaw, nil
	}
	return 0, fmt.Errorf("unsupported interface hardware type %d", arphrd)
}
