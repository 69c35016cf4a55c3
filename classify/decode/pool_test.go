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
	var flows []*phiproxy.Flow
	var want []string
	for _, p := range fixturePaths(t) {
		f, err := loadFixture(p)
		if err != nil {
			t.Fatal(err)
		}
		flows = append(flows, f)
		want = append(want, render(Flow(f, Limits{})))
	}
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
