// Package encoded compresses bytes the way trackers send them (gzip,
// zlib, raw deflate, brotli), for tests and corpus generators that build
// payloads for phiproxy to decode. Output is deterministic: no names or
// times in gzip headers, so generated fixtures are stable.
package encoded

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"

	"github.com/andybalholm/brotli"
)

// Gzip is b in a gzip stream (magic 1f 8b), default level.
func Gzip(b []byte) []byte {
	return compress(b, func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) })
}

// Zlib is b in a zlib stream, as Datadog's "deflate" sends it.
func Zlib(b []byte) []byte {
	return compress(b, func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) })
}

// RawDeflate is b as a raw deflate stream without header, best compression.
func RawDeflate(b []byte) []byte {
	return compress(b, func(w io.Writer) io.WriteCloser {
		fw, _ := flate.NewWriter(w, flate.BestCompression) // the level is valid
		return fw
	})
}

// Brotli is b as a brotli stream, default level.
func Brotli(b []byte) []byte {
	return compress(b, func(w io.Writer) io.WriteCloser { return brotli.NewWriter(w) })
}

// compress writes b through a writer over an in-memory buffer, which
// cannot fail.
func compress(b []byte, newWriter func(io.Writer) io.WriteCloser) []byte {
	var buf bytes.Buffer
	w := newWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}
