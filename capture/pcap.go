package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ReadPcap reads a pcap or pcapng capture (told apart by its magic number),
// reassembles its TCP connections over IPv4 and IPv6 (Ethernet, Linux
// cooked v1 and v2, raw IP and BSD loopback link types; any port), and calls
// emit for every plaintext HTTP/1.x exchange with Source "pcap". Pipelined
// requests, Content-Length and chunked bodies are handled; request bodies
// beyond MaxRequestBody are cut and marked Truncated. Connections that open
// with a TLS ClientHello are listed in Summary.Encrypted with their SNI;
// other connections are counted in Summary.Skipped.
//
// A truncated or corrupt file returns an error naming the byte offset of
// the broken record, after every flow completed before it was emitted.
func ReadPcap(ctx context.Context, r io.Reader, emit EmitFunc) (Summary, error) {
	sum, err := readPcap(ctx, r, emit)
	return sum, unwrapEmit(err)
}

func readPcap(ctx context.Context, r io.Reader, emit EmitFunc) (sum Summary, err error) {
	defer sum.finish()
	pr, err := newPacketReader(r)
	if err != nil {
		return sum, err
	}
	a := newFlowAssembler(&sum)
	var readErr error
	for n := 0; ; n++ {
		if n&255 == 0 {
			if err := ctx.Err(); err != nil {
				a.closeAll()
				return sum, err
			}
		}
		p, err := pr.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
		a.handle(p)
		if err := a.drain(emit); err != nil {
			a.closeAll()
			return sum, err
		}
	}
	a.closeAll()
	if err := a.drain(emit); err != nil {
		return sum, err
	}
	if readErr != nil {
		var fe *fileError
		if !errors.As(readErr, &fe) {
			readErr = fmt.Errorf("reading capture: %w", readErr)
		}
		return sum, readErr
	}
	return sum, nil
}
