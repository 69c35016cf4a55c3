package classify

import (
	"strings"

	"github.com/phiproxy/phiproxy"
)

// softwareKeyWords name the parts of an SDK's own description: the
// notifier, framework, runtime or integration whose "name" member is a
// library's name ({"notifier": {"name": "Bugsnag JavaScript"}}), never a
// person's. "client" and "agent" are left out: a therapy client or a
// support agent is a person.
var softwareKeyWords = wordSet(
	"notifier", "notifiers", "framework", "frameworks", "runtime", "runtimes", "integration",
	"integrations", "plugin", "plugins", "package", "packages", "module", "modules",
	"dependency", "dependencies", "engine", "instrumentation", "instrumentations",
	"library", "libraries", "lib", "sdk", "sdks", "tracker", "reporter", "logger", "exporter",
)

// dropSoftwareNames removes names found under a "name" key whose parent
// names a piece of software. Persona matches are kept: they are the test
// persona's values wherever they appear.
func dropSoftwareNames(ds []detection) []detection {
	kept := ds[:0]
	for _, d := range ds {
		if d.Kind == phiproxy.KindName && d.Source == phiproxy.SourcePattern && isSoftwareNamePath(d.Path) {
			continue
		}
		kept = append(kept, d)
	}
	return kept
}

// isSoftwareNamePath reports whether a field path ends in a "name" key
// under a software parent: "body > json:$.notifier.name",
// "json:$.integrations[0].name".
func isSoftwareNamePath(path string) bool {
	last := path
	if i := strings.LastIndex(path, " > "); i >= 0 {
		last = path[i+3:]
	}
	keys := stepName(last)
	parent, ok := strings.CutSuffix(keys, ".name")
	if !ok || parent == "" {
		return false
	}
	// Only the nearest parent key speaks for the name: sdk.user.name is a
	// user's.
	if i := strings.LastIndexByte(parent, '.'); i >= 0 {
		parent = parent[i+1:]
	}
	if i := strings.IndexByte(parent, '['); i >= 0 {
		parent = parent[:i]
	}
	return anyWordIn(parent, softwareKeyWords)
}
