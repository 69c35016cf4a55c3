package dict_test

import (
	"fmt"
	"strings"

	"github.com/phiproxy/phiproxy/classify/dict"
)

func ExampleMatcher_Find() {
	d := dict.New()
	list := "# term\tkind\tcanonical\tcategory\tsensitivity\taliases\tcodes\tflags\n" +
		"Zoloft\tmedication\tsertraline\tmental_health\thigh\t\t\t\n" +
		"depression treatment\tprocedure\tdepression treatment\tmental_health\thigh\t\t\t\n" +
		"major depressive disorder\tcondition\tmajor depressive disorder\tmental_health\thigh\t\tF32.9\t\n"
	if err := d.AddTSV(strings.NewReader(list), "example.tsv"); err != nil {
		panic(err)
	}
	m, err := d.Build()
	if err != nil {
		panic(err)
	}
	for _, s := range []string{"Paid: ZOLOFT refill", "/conditions/major-depressive-disorder", "DepressionTreatmentPage", "ambient"} {
		for _, match := range m.Find(s) {
			fmt.Printf("%q → %s (%s, %s)\n", match.Text, match.Term.Canonical, match.Term.Kind, match.Term.Category)
		}
	}
	if t, ok := m.LookupCode("f329"); ok {
		fmt.Println("F32.9 →", t.Canonical)
	}
	// Output:
	// "ZOLOFT" → sertraline (medication, mental_health)
	// "major-depressive-disorder" → major depressive disorder (condition, mental_health)
	// "DepressionTreatment" → depression treatment (procedure, mental_health)
	// F32.9 → major depressive disorder
}
