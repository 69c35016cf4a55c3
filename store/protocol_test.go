package store

import (
	"context"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// TestOlderDatabaseGainsProtocols: a database from before the protocol
// columns keeps its flows (with no protocol known) and stores both
// sides' protocols of new ones.
func TestOlderDatabaseGainsProtocols(t *testing.T) {
	path := olderDatabase(t, "007_flow_protocol.sql",
		`INSERT INTO flows (id, start, source, method, url, host, proto) VALUES (1, '2026-12-01T10:00:00.000000Z', 'proxy', 'GET', 'https://old.example/', 'old.example', 'HTTP/1.1')`)

	s, err := Open(path)
	if err != nil {
		t.Fatalf("open older database: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	old, err := s.Flow(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if old.Flow.ClientProto != "" || old.Flow.UpstreamProto != "" || old.Flow.Request.Proto != "HTTP/1.1" {
		t.Errorf("old flow: client %q upstream %q request %q", old.Flow.ClientProto, old.Flow.UpstreamProto, old.Flow.Request.Proto)
	}
	rec := sampleRecord("https://tracker.example/h2", phiproxy.High, phiproxy.KindEmail)
	if err := s.SaveBatch(ctx, 0, []Record{rec}, phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Flow(ctx, rec.Flow.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Flow.ClientProto != "HTTP/2.0" || got.Flow.UpstreamProto != "HTTP/1.1" {
		t.Errorf("new flow: client %q upstream %q, want HTTP/2.0 and HTTP/1.1", got.Flow.ClientProto, got.Flow.UpstreamProto)
	}
}
