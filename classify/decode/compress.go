package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// minInflateLimit keeps the ratio cap from cutting tiny inputs, whose
// headers alone make ratios over 100 legitimate.
const minInflateLimit = 64 << 10

// zstdMaxWindow bounds the window a zstd frame header may ask for.
const zstdMaxWindow = 32 << 20

// magicOf names the compression format announced by b's first bytes:
// "gzip", "zstd", "zlib", or "" for none. zlib has a weak 2-byte header, so
// it also requires the header checksum and no preset dictionary.
func magicOf(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8:
		return "gzip"
	case len(b) >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd:
		return "zstd"
	case len(b) >= 3 && b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0 && b[1]&0x20 == 0:
		return "zlib"
	}
	return ""
}

// inflate decompresses in with the named format ("gzip", "zlib",
// "deflate", "brotli", "zstd"), reading at most MaxRatio times the input
// (64 KiB at least) and no more than the remaining budget. It returns what
// could be read, whether a limit or an error cut it, and ok=false when
// nothing at all could be read. Problems are noted at s.
func (d *decoder) inflate(s scope, name string, in []byte) (out []byte, cut bool, ok bool) {
	ratioLimit := max(int64(len(in))*int64(d.lim.MaxRatio), minInflateLimit)
	limit := min(ratioLimit, d.budget)
	var r io.Reader
	var err error
	src := bytes.NewReader(in)
	switch name {
	case "gzip":
		var zr *gzip.Reader
		if zr, err = getGzip(src); err == nil {
			defer gzipPool.Put(zr)
			r = zr
		}
	case "zlib":
		var zr io.ReadCloser
		if zr, err = getZlib(src); err == nil {
			defer zlibPool.Put(zr)
			r = zr
		}
	case "deflate":
		fr := getFlate(src)
		defer flatePool.Put(fr)
		r = fr
	case "brotli":
		r = brotli.NewReader(src)
	case "zstd":
		var zr *zstd.Decoder
		zr, err = zstd.NewReader(src, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(zstdMaxWindow), zstd.WithDecoderLowmem(true))
		if err == nil {
			defer zr.Close()
			r = zr
		}
	default:
		err = fmt.Errorf("unsupported encoding")
	}
	if err != nil {
		d.note(s, name+": "+err.Error())
		return nil, true, false
	}
	var buf bytes.Buffer
	buf.Grow(int(min(int64(len(in))*4+512, limit+1)))
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	out = buf.Bytes()
	if n > limit {
		out = out[:limit]
		cut = true
		if limit < ratioLimit {
			d.note(s, fmt.Sprintf("%s: decoded-byte budget %d exhausted, truncated", name, d.lim.MaxBytes))
		} else {
			d.note(s, fmt.Sprintf("%s: decompression ratio over %d, truncated", name, d.lim.MaxRatio))
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		cut = true
		d.note(s, name+": "+err.Error())
	}
	d.budget -= int64(len(out))
	return out, cut, len(out) > 0
}

// Decompressor state (windows, tables) is tens of KiB; pooling it keeps
// each compressed beacon from allocating it again.
var (
	gzipPool  sync.Pool // *gzip.Reader
	zlibPool  sync.Pool // io.ReadCloser implementing zlib.Resetter
	flatePool sync.Pool // io.ReadCloser implementing flate.Resetter
)

func getGzip(r io.Reader) (*gzip.Reader, error) {
	if zr, ok := gzipPool.Get().(*gzip.Reader); ok {
		if err := zr.Reset(r); err != nil {
			gzipPool.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(r)
}

func getZlib(r io.Reader) (io.ReadCloser, error) {
	if zr, ok := zlibPool.Get().(io.ReadCloser); ok {
		if err := zr.(zlib.Resetter).Reset(r, nil); err != nil {
			zlibPool.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return zlib.NewReader(r)
}

func getFlate(r io.Reader) io.ReadCloser {
	if fr, ok := flatePool.Get().(io.ReadCloser); ok {
		if err := fr.(flate.Resetter).Reset(r, nil); err == nil {
			return fr
		}
	}
	return flate.NewReader(r)
}
