package encoded

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"testing"

	"github.com/andybalholm/brotli"
)

func TestRoundTrips(t *testing.T) {
	in := []byte(`{"medication":"sertraline"}`)
	readers := map[string]func([]byte) (io.Reader, error){
		"gzip":    func(b []byte) (io.Reader, error) { return gzip.NewReader(bytes.NewReader(b)) },
		"zlib":    func(b []byte) (io.Reader, error) { return zlib.NewReader(bytes.NewReader(b)) },
		"deflate": func(b []byte) (io.Reader, error) { return flate.NewReader(bytes.NewReader(b)), nil },
		"brotli":  func(b []byte) (io.Reader, error) { return brotli.NewReader(bytes.NewReader(b)), nil },
	}
	encoders := map[string]func([]byte) []byte{"gzip": Gzip, "zlib": Zlib, "deflate": RawDeflate, "brotli": Brotli}
	for name, enc := range encoders {
		r, err := readers[name](enc(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, in) {
			t.Errorf("%s round trip: got %q, %v", name, got, err)
		}
	}
	if !bytes.Equal(Gzip(in), Gzip(in)) {
		t.Error("gzip output is not deterministic")
	}
}
