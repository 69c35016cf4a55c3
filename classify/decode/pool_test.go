package decode

import (
	"sync"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// TestFlowConcurrentPooled decodes every fixture from several goroutines
// at once, each in its own order, and checks that every result matches
// the one a lone decode gives and still matches once all are done: pooled
// decoders share arena blocks between requests, so a request writing over
// another's chains or steps would show here (and under -race).
func TestFlowConcurrentPooled(t *testing.T) {
	flows, want := fixtureFlows(t)
	const workers, rounds = 4, 3
	got := make([][]Result, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				for i := range flows {
					j := (i*(w+1) + r) % len(flows)
					res := Flow(flows[j], Limits{})
					if render(res) != want[j] {
						t.Errorf("worker %d: fixture %d differs from a lone decode", w, j)
					}
					if r == 0 {
						got[w] = append(got[w], res)
					}
				}
			}
		}()
	}
	wg.Wait()
	for w, results := range got {
		for i, res := range results {
			if j := (i * (w + 1)) % len(flows); render(res) != want[j] {
				t.Errorf("worker %d: fixture %d changed after later decodes", w, j)
			}
		}
	}
}

// TestFlowIntoChains decodes every fixture in turn with one Chains, reset
// between flows as Inspect does, and holds each result to a decode with
// the decoder's own arena. Once the block has grown to fit the fixtures,
// resetting must hand the same block back rather than allocate another.
func TestFlowIntoChains(t *testing.T) {
	flows, want := fixtureFlows(t)
	var chains Chains
	for round := range 3 {
		for i, f := range flows {
			res := FlowInto(f, Limits{}, nil, &chains)
			if got := render(res); got != want[i] {
				t.Errorf("round %d: fixture %d decoded with Chains differs:\n%s\nwant:\n%s", round, i, got, want[i])
			}
			chains.Reset()
			if chains.a.used != 0 {
				t.Fatalf("Reset left %d steps in use", chains.a.used)
			}
			for j, step := range chains.a.block {
				if step != "" {
					t.Fatalf("Reset kept step %d (%q) of fixture %d", j, step, i)
				}
			}
		}
	}
	// A small flow, decoded again and again: its chains fit the block.
	small := flows[0]
	for _, f := range flows {
		if len(f.Request.URL)+len(f.Request.Body) < len(small.Request.URL)+len(small.Request.Body) {
			small = f
		}
	}
	FlowInto(small, Limits{}, nil, &chains)
	chains.Reset()
	if len(chains.a.block) == 0 {
		t.Fatal("the flow's chains were not carved from Chains")
	}
	block := &chains.a.block[0]
	for range 10 {
		FlowInto(small, Limits{}, nil, &chains)
		if chains.a.used == 0 {
			t.Fatal("the flow's chains were not carved from Chains")
		}
		chains.Reset()
	}
	if &chains.a.block[0] != block {
		t.Error("Reset did not keep the block: each flow allocated a new one")
	}
}

// fixtureFlows loads every fixture and renders its lone decode.
func fixtureFlows(t *testing.T) (flows []*phiproxy.Flow, want []string) {
	t.Helper()
	for _, p := range fixturePaths(t) {
		f, err := loadFixture(p)
		if err != nil {
			t.Fatal(err)
		}
		flows = append(flows, f)
		want = append(want, render(Flow(f, Limits{})))
	}
	return flows, want
}
