package classify

import (
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/phiproxy/phiproxy"
)

func TestMemoAdmitsOnSecondSighting(t *testing.T) {
	m := newMemo[int]()
	calls := 0
	compute := func(k memoKey) int { calls++; return len(k.value) }
	k := memoKey{key: "ua", value: "Mozilla/5.0 (X11; Linux x86_64)"}
	for i, want := range []int{1, 2, 2, 2} {
		if got := m.get(k, compute); got != len(k.value) {
			t.Fatalf("get %d: got %d, want %d", i, got, len(k.value))
		}
		if calls != want {
			t.Fatalf("after get %d: %d computations, want %d", i, calls, want)
		}
	}
}

// Unique values, seen once each, pass through without evicting a value
// that repeats.
func TestMemoUniqueValuesDoNotEvict(t *testing.T) {
	m := newMemo[int]()
	calls := 0
	compute := func(k memoKey) int { calls++; return 1 }
	ua := memoKey{value: "Mozilla/5.0 (X11; Linux x86_64)"}
	m.get(ua, compute)
	m.get(ua, compute)
	for i := 0; i < 4*memoSlots; i++ {
		m.get(memoKey{value: "event-0123456789-" + strconv.Itoa(i)}, compute)
	}
	calls = 0
	m.get(ua, compute)
	if calls != 0 {
		t.Fatal("a repeating value was evicted by values seen once")
	}
}

func TestMemoBoundsAndCopies(t *testing.T) {
	m := newMemo[string]()
	long := memoKey{value: strings.Repeat("x", memoMaxKey+1)}
	calls := 0
	for range 3 {
		m.get(long, func(k memoKey) string { calls++; return "" })
	}
	if calls != 3 {
		t.Fatalf("a value over %d bytes: %d computations in 3 gets, want 3 (never kept)", memoMaxKey, calls)
	}
	body := "prefix|" + "Appointment Booked" + "|suffix"
	k := memoKey{key: "event", value: body[7:25]}
	var kept string
	for range 2 {
		kept = m.get(k, func(k memoKey) string { return k.value })
	}
	if kept != k.value {
		t.Fatalf("got %q, want %q", kept, k.value)
	}
	if unsafe.StringData(kept) == unsafe.StringData(k.value) {
		t.Fatal("the kept result shares the caller's bytes: a flow's body would stay alive")
	}
}

func TestMemoConcurrent(t *testing.T) {
	m := newMemo[string]()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				v := "a repeated value " + strconv.Itoa((i+w)%50)
				if got := m.get(memoKey{value: v}, func(k memoKey) string { return strings.ToUpper(k.value) }); got != strings.ToUpper(v) {
					t.Errorf("got %q for %q", got, v)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Inspecting flows with the memo gives the same inspections as without
// it, whether a value is seen for the first time or remembered: the eval
// flows three times over, through two inspectors in step.
func TestInspectSameWithMemo(t *testing.T) {
	with, without := evalPersonaInspector(t, "persona.json"), evalPersonaInspector(t, "persona.json")
	without.memos = leafMemos{}
	paths, err := filepath.Glob(filepath.Join(evalDir, "flows", "*.http"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no eval flows: %v", err)
	}
	var flows []*phiproxy.Flow
	for _, path := range paths {
		f, err := loadHTTPFlow(path)
		if err != nil {
			t.Fatal(err)
		}
		flows = append(flows, f)
	}
	findings := 0
	for pass := range 3 {
		for i, f := range flows {
			got, want := with.Inspect(f), without.Inspect(f)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("pass %d, %s: with the memo\n%+v\nwithout\n%+v", pass, filepath.Base(paths[i]), got.Findings, want.Findings)
			}
			findings += len(got.Findings)
		}
	}
	if findings == 0 {
		t.Fatal("no findings: the comparison compared nothing")
	}
}
