package capture

import (
	"testing"
	"time"

	"golang.org/x/net/bpf"
)

func TestPortFilter(t *testing.T) {
	raw, err := PortFilter(8080)
	if err != nil {
		t.Fatalf("PortFilter: %v", err)
	}
	prog := make([]bpf.Instruction, len(raw))
	for i, r := range raw {
		prog[i] = r.Disassemble()
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatalf("NewVM: %v", err)
	}
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	frameOf := func(client, server string, cport, sport uint16, fromClient bool) []byte {
		c := newConversation(t, client, server, cport, sport, start)
		return c.segment(fromClient, 1, 1, false, false, []byte("GET / HTTP/1.1\r\n\r\n")).data
	}
	fragment := frameOf("10.0.0.1", "10.0.0.2", 5000, 8080, true)
	fragment[14+6] = 0x00
	fragment[14+7] = 0x10 // fragment offset 16
	for _, tc := range []struct {
		name  string
		frame []byte
		keep  bool
	}{
		{"ipv4 to port", frameOf("10.0.0.1", "10.0.0.2", 5000, 8080, true), true},
		{"ipv4 from port", frameOf("10.0.0.1", "10.0.0.2", 5000, 8080, false), true},
		{"ipv4 other port", frameOf("10.0.0.1", "10.0.0.2", 5000, 8081, true), false},
		{"ipv6 to port", frameOf("fd00::1", "fd00::2", 5000, 8080, true), true},
		{"ipv6 from port", frameOf("fd00::1", "fd00::2", 5000, 8080, false), true},
		{"ipv6 other port", frameOf("fd00::1", "fd00::2", 8079, 443, true), false},
		{"ipv4 later fragment", fragment, false},
		{"arp", append(make([]byte, 12), 0x08, 0x06, 0, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := vm.Run(tc.frame)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if got := n > 0; got != tc.keep {
				t.Errorf("kept: got %v, want %v", got, tc.keep)
			}
		})
	}
}
