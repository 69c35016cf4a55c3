package capture

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// PortFilter returns a kernel BPF program for CaptureInterface that keeps
// the TCP segments to or from port over IPv4 and IPv6 on interfaces with
// Ethernet framing (Ethernet and loopback), like the capture filter
// "tcp port N". IPv4 fragments after the first are dropped, as the
// reassembly ignores them anyway; IPv6 extension headers are not followed.
func PortFilter(port uint16) ([]bpf.RawInstruction, error) {
	const (
		ethHeader = 14
		accept    = 262144 // snap length: the whole frame
	)
	p := uint32(port)
	return assembleWithLabels([]labelled{
		{ins: bpf.LoadAbsolute{Off: 12, Size: 2}},
		{ins: bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x0800}, t: "", f: "not4"},
		{ins: bpf.LoadAbsolute{Off: ethHeader + 9, Size: 1}},
		{ins: bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6}, t: "", f: "drop"},
		{ins: bpf.LoadAbsolute{Off: ethHeader + 6, Size: 2}},
		{ins: bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff}, t: "drop", f: ""},
		{ins: bpf.LoadMemShift{Off: ethHeader}},
		{ins: bpf.LoadIndirect{Off: ethHeader, Size: 2}},
		{ins: bpf.JumpIf{Cond: bpf.JumpEqual, Val: p}, t: "accept", f: ""},
		{ins: bpf.LoadIndirect{Off: ethHeader + 2, Size: 2}},
		{ins: bpf.JumpIf{Cond: bpf.JumpEqual, Val: p}, t: "accept", f: "drop"},
		{label: "not4", ins: bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x86dd}, t: "", f: "drop"},
		{ins: bpf.LoadAbsolute{Off: ethHeader + 6, Size: 1}}, // IPv6 next header
		{ins: bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6}, t: "", f: "drop"},
		{ins: bpf.LoadAbsolute{Off: ethHeader + 40, Size: 2}},
		{ins: bpf.JumpIf{Cond: bpf.JumpEqual, Val: p}, t: "accept", f: ""},
		{ins: bpf.LoadAbsolute{Off: ethHeader + 42, Size: 2}},
		{ins: bpf.JumpIf{Cond: bpf.JumpEqual, Val: p}, t: "accept", f: "drop"},
		{label: "accept", ins: bpf.RetConstant{Val: accept}},
		{label: "drop", ins: bpf.RetConstant{Val: 0}},
	})
}

// labelled is one instruction of a program written with jump labels: t and
// f name the targets of a conditional jump's true and false branches, ""
// meaning the next instruction.
type labelled struct {
	label string
	ins   bpf.Instruction
	t, f  string
}

func assembleWithLabels(prog []labelled) ([]bpf.RawInstruction, error) {
	at := map[string]int{}
	for i, l := range prog {
		if l.label != "" {
			at[l.label] = i
		}
	}
	skip := func(from int, label string) (uint8, error) {
		if label == "" {
			return 0, nil
		}
		to, ok := at[label]
		if !ok || to <= from || to-from-1 > 255 {
			return 0, fmt.Errorf("bad jump from %d to %q", from, label)
		}
		return uint8(to - from - 1), nil
	}
	out := make([]bpf.Instruction, len(prog))
	for i, l := range prog {
		ins := l.ins
		if j, ok := ins.(bpf.JumpIf); ok {
			var err error
			if j.SkipTrue, err = skip(i, l.t); err != nil {
				return nil, err
			}
			if j.SkipFalse, err = skip(i, l.f); err != nil {
				return nil, err
			}
			ins = j
		}
		out[i] = ins
	}
	raw, err := bpf.Assemble(out)
	if err != nil {
		return nil, fmt.Errorf("assemble port filter: %w", err)
	}
	return raw, nil
}
