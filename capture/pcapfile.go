package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// The pcap and pcapng readers are written here rather than taken from
// pcapgo because recordings are untrusted: pcapgo allocates whatever length
// a record claims (up to 4 GiB per packet) and reads ahead through its own
// buffer, so it can neither refuse absurd records nor say at which byte
// offset a file broke.

// maxPacketBytes bounds one captured packet; real snap lengths are at most
// 256 KiB.
const maxPacketBytes = 1 << 20

// maxBlockBytes bounds one pcapng block (a packet plus its options).
const maxBlockBytes = maxPacketBytes + 64<<10

// linkType is a LINKTYPE_ value as stored in capture files. gopacket's
// layers.LinkType is a uint8 and cannot hold newer ones such as
// LINKTYPE_LINUX_SLL2 (276).
type linkType uint32

// Link types this package decodes.
const (
	linkNull      linkType = 0
	linkEthernet  linkType = 1
	linkRawBSD12  linkType = 12 // DLT_RAW on most BSDs
	linkRawBSD14  linkType = 14 // DLT_RAW on OpenBSD
	linkRaw       linkType = 101
	linkLoop      linkType = 108
	linkLinuxSLL  linkType = 113
	linkIPv4      linkType = 228
	linkIPv6      linkType = 229
	linkLinuxSLL2 linkType = 276
)

// packet is one captured frame. Data is only valid until the next call to
// next.
type packet struct {
	Data      []byte
	Timestamp time.Time
	Link      linkType
	// Length is the frame's length on the wire (may exceed len(Data)).
	Length int
}

// packetReader yields the packets of a capture file in order. next returns
// io.EOF at a clean end and a *fileError otherwise.
type packetReader interface {
	next() (packet, error)
}

// fileError says where in a capture file reading failed.
type fileError struct {
	Offset int64
	What   string // "truncated packet record", "bad block length", ...
	Err    error
}

func (e *fileError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("%s at offset %d", e.What, e.Offset)
	}
	return fmt.Sprintf("%s at offset %d: %v", e.What, e.Offset, e.Err)
}

func (e *fileError) Unwrap() error { return e.Err }

// readFull reads len(buf) bytes and turns a short read into
// io.ErrUnexpectedEOF, including an EOF after zero bytes (the caller has
// already decided that more bytes must follow).
func readFull(r io.Reader, buf []byte) error {
	_, err := io.ReadFull(r, buf)
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// newPacketReader sniffs r and returns the matching reader.
func newPacketReader(r io.Reader) (packetReader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	head, err := br.Peek(4)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, &fileError{Offset: int64(len(head)), What: "reading the file header", Err: err}
	}
	format, err := Sniff(head)
	if err != nil {
		return nil, &fileError{Offset: 0, What: "reading the file header", Err: err}
	}
	switch format {
	case FormatPcap:
		return newPcapReader(br)
	case FormatPcapNG:
		return &pcapngReader{r: br}, nil
	}
	return nil, &fileError{Offset: 0, What: "reading the file header", Err: fmt.Errorf("%w: a %s file is not a packet capture", ErrUnknownFormat, format)}
}

// pcapReader reads the classic libpcap format.
type pcapReader struct {
	r       io.Reader
	order   binary.ByteOrder
	nanos   bool
	link    linkType
	snaplen uint32
	off     int64
	hdr     [16]byte
	buf     []byte
}

func newPcapReader(r io.Reader) (*pcapReader, error) {
	var h [24]byte
	if err := readFull(r, h[:]); err != nil {
		return nil, &fileError{Offset: 0, What: "truncated pcap file header", Err: err}
	}
	p := &pcapReader{r: r, off: 24}
	switch binary.LittleEndian.Uint32(h[:4]) {
	case 0xa1b2c3d4:
		p.order = binary.LittleEndian
	case 0xd4c3b2a1:
		p.order = binary.BigEndian
	case 0xa1b23c4d:
		p.order, p.nanos = binary.LittleEndian, true
	case 0x4d3cb2a1:
		p.order, p.nanos = binary.BigEndian, true
	default:
		return nil, &fileError{Offset: 0, What: "bad pcap magic number"}
	}
	if major := p.order.Uint16(h[4:6]); major != 2 {
		return nil, &fileError{Offset: 4, What: fmt.Sprintf("unsupported pcap version %d", major)}
	}
	p.snaplen = p.order.Uint32(h[16:20])
	// The upper bits of the link-type field carry FCS information.
	p.link = linkType(p.order.Uint32(h[20:24]) & 0xffff)
	return p, nil
}

func (p *pcapReader) next() (packet, error) {
	start := p.off
	n, err := io.ReadFull(p.r, p.hdr[:])
	if n == 0 && errors.Is(err, io.EOF) {
		return packet{}, io.EOF
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return packet{}, &fileError{Offset: start, What: "truncated packet record", Err: err}
	}
	sec := p.order.Uint32(p.hdr[0:4])
	frac := p.order.Uint32(p.hdr[4:8])
	capLen := p.order.Uint32(p.hdr[8:12])
	origLen := p.order.Uint32(p.hdr[12:16])
	if capLen > maxPacketBytes {
		return packet{}, &fileError{Offset: start, What: fmt.Sprintf("packet record claims %d bytes (limit %d)", capLen, maxPacketBytes)}
	}
	if cap(p.buf) < int(capLen) {
		p.buf = make([]byte, capLen)
	}
	data := p.buf[:capLen]
	if err := readFull(p.r, data); err != nil {
		return packet{}, &fileError{Offset: start, What: "truncated packet record", Err: err}
	}
	p.off += 16 + int64(capLen)
	ns := int64(frac)
	if !p.nanos {
		ns *= 1000
	}
	return packet{
		Data:      data,
		Timestamp: time.Unix(int64(sec), ns).UTC(),
		Link:      p.link,
		Length:    int(origLen),
	}, nil
}

// pcapngReader reads the pcapng format: any number of sections, each with
// its own byte order and interfaces.
type pcapngReader struct {
	r      io.Reader
	order  binary.ByteOrder
	ifaces []ngInterface
	off    int64
	buf    []byte
}

// ngInterface is what an Interface Description Block says about the
// packets that refer to it.
type ngInterface struct {
	link    linkType
	snaplen uint32
	// tsBase2 and tsExp give the timestamp unit: 10^-tsExp seconds, or
	// 2^-tsExp when tsBase2 is set.
	tsBase2  bool
	tsExp    uint8
	tsOffset int64 // seconds
}

const (
	ngSectionHeader   = 0x0a0d0d0a
	ngInterfaceDesc   = 0x00000001
	ngObsoletePacket  = 0x00000002
	ngSimplePacket    = 0x00000003
	ngEnhancedPacket  = 0x00000006
	ngByteOrderMagic  = 0x1a2b3c4d
	ngOptionEnd       = 0
	ngOptionTSResol   = 9
	ngOptionTSOffset  = 14
	ngMinBlockLength  = 12
	ngBlockHeaderSize = 8
)

func (p *pcapngReader) next() (packet, error) {
	for {
		start := p.off
		var h [12]byte
		n, err := io.ReadFull(p.r, h[:8])
		if n == 0 && errors.Is(err, io.EOF) {
			if p.order == nil {
				return packet{}, &fileError{Offset: 0, What: "empty pcapng file", Err: io.ErrUnexpectedEOF}
			}
			return packet{}, io.EOF
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return packet{}, &fileError{Offset: start, What: "truncated block header", Err: err}
		}
		typ := binary.LittleEndian.Uint32(h[0:4]) // the section-header type reads the same in both orders
		if typ == ngSectionHeader {
			if err := readFull(p.r, h[8:12]); err != nil {
				return packet{}, &fileError{Offset: start, What: "truncated section header", Err: err}
			}
			switch {
			case binary.LittleEndian.Uint32(h[8:12]) == ngByteOrderMagic:
				p.order = binary.LittleEndian
			case binary.BigEndian.Uint32(h[8:12]) == ngByteOrderMagic:
				p.order = binary.BigEndian
			default:
				return packet{}, &fileError{Offset: start + 8, What: "bad byte-order magic in section header"}
			}
			p.ifaces = p.ifaces[:0]
		} else if p.order == nil {
			return packet{}, &fileError{Offset: start, What: "pcapng file does not start with a section header"}
		} else {
			typ = p.order.Uint32(h[0:4])
		}
		total := p.order.Uint32(h[4:8])
		if total < ngMinBlockLength || total > maxBlockBytes || (typ == ngSectionHeader && total < 28) {
			return packet{}, &fileError{Offset: start, What: fmt.Sprintf("bad block length %d", total)}
		}
		// Body is everything after the 8-byte header (and after the byte-order
		// magic for a section header) up to and including the trailing length.
		consumed := int64(8)
		if typ == ngSectionHeader {
			consumed = 12
		}
		rest := int(int64(total) - consumed)
		if cap(p.buf) < rest {
			p.buf = make([]byte, rest)
		}
		block := p.buf[:rest]
		if err := readFull(p.r, block); err != nil {
			return packet{}, &fileError{Offset: start, What: "truncated block", Err: err}
		}
		p.off += int64(total)
		body := block[:len(block)-4]
		switch typ {
		case ngSectionHeader:
			// Version and section length are informational.
		case ngInterfaceDesc:
			iface, err := p.parseInterface(body)
			if err != nil {
				return packet{}, &fileError{Offset: start, What: "bad interface description block", Err: err}
			}
			p.ifaces = append(p.ifaces, iface)
		case ngEnhancedPacket, ngObsoletePacket:
			if len(body) < 20 {
				return packet{}, &fileError{Offset: start, What: "packet block too short"}
			}
			var ifIndex uint32
			if typ == ngEnhancedPacket {
				ifIndex = p.order.Uint32(body[0:4])
			} else {
				ifIndex = uint32(p.order.Uint16(body[0:2]))
			}
			if int64(ifIndex) >= int64(len(p.ifaces)) {
				return packet{}, &fileError{Offset: start, What: fmt.Sprintf("packet refers to interface %d, section has %d", ifIndex, len(p.ifaces))}
			}
			iface := p.ifaces[ifIndex]
			ts := uint64(p.order.Uint32(body[4:8]))<<32 | uint64(p.order.Uint32(body[8:12]))
			capLen := p.order.Uint32(body[12:16])
			origLen := p.order.Uint32(body[16:20])
			if int64(capLen) > int64(len(body)-20) {
				return packet{}, &fileError{Offset: start, What: fmt.Sprintf("packet claims %d bytes, block holds %d", capLen, len(body)-20)}
			}
			return packet{
				Data:      body[20 : 20+capLen],
				Timestamp: iface.time(ts),
				Link:      iface.link,
				Length:    int(origLen),
			}, nil
		case ngSimplePacket:
			if len(body) < 4 {
				return packet{}, &fileError{Offset: start, What: "simple packet block too short"}
			}
			if len(p.ifaces) == 0 {
				return packet{}, &fileError{Offset: start, What: "simple packet block before any interface description"}
			}
			iface := p.ifaces[0]
			origLen := p.order.Uint32(body[0:4])
			data := body[4:]
			if int64(origLen) < int64(len(data)) {
				data = data[:origLen] // the rest is padding
			}
			if iface.snaplen > 0 && int64(len(data)) > int64(iface.snaplen) {
				data = data[:iface.snaplen]
			}
			// Simple packet blocks carry no timestamp.
			return packet{Data: data, Link: iface.link, Length: int(origLen)}, nil
		default:
			// Name resolution, statistics, journal and custom blocks carry
			// nothing a flow needs.
		}
	}
}

func (p *pcapngReader) parseInterface(body []byte) (ngInterface, error) {
	if len(body) < 8 {
		return ngInterface{}, fmt.Errorf("block body is %d bytes, want at least 8", len(body))
	}
	iface := ngInterface{
		link:    linkType(p.order.Uint16(body[0:2])),
		snaplen: p.order.Uint32(body[4:8]),
		tsExp:   6,
	}
	opts := body[8:]
	for len(opts) >= 4 {
		code := p.order.Uint16(opts[0:2])
		length := int(p.order.Uint16(opts[2:4]))
		if code == ngOptionEnd {
			break
		}
		padded := (length + 3) &^ 3
		if 4+padded > len(opts) {
			return iface, fmt.Errorf("option %d runs past the block", code)
		}
		val := opts[4 : 4+length]
		switch {
		case code == ngOptionTSResol && length >= 1:
			iface.tsBase2 = val[0]&0x80 != 0
			iface.tsExp = val[0] & 0x7f
		case code == ngOptionTSOffset && length >= 8:
			iface.tsOffset = int64(p.order.Uint64(val[:8]))
		}
		opts = opts[4+padded:]
	}
	return iface, nil
}

// time converts a raw pcapng timestamp with this interface's resolution.
func (i ngInterface) time(ts uint64) time.Time {
	var sec, nsec uint64
	switch {
	case i.tsBase2:
		n := uint(i.tsExp)
		if n >= 64 {
			return time.Time{}
		}
		sec = ts >> n
		frac := ts & (1<<n - 1)
		hi, lo := bits.Mul64(frac, 1e9)
		if n == 0 {
			nsec = 0
		} else {
			nsec = hi<<(64-n) | lo>>n
		}
	case i.tsExp <= 9:
		unit := pow10(9 - i.tsExp) // nanoseconds per tick
		sec = ts / pow10(i.tsExp)
		nsec = (ts % pow10(i.tsExp)) * unit
	case i.tsExp <= 19:
		perSec := pow10(i.tsExp)
		sec = ts / perSec
		nsec = (ts % perSec) / pow10(i.tsExp-9)
	default:
		return time.Time{}
	}
	if sec > 1<<40 { // far beyond any real capture; avoid overflow
		return time.Time{}
	}
	return time.Unix(int64(sec)+i.tsOffset, int64(nsec)).UTC()
}

func pow10(n uint8) uint64 {
	v := uint64(1)
	for ; n > 0; n-- {
		v *= 10
	}
	return v
}
