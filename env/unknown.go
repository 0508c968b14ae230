package env

import (
	"reflect"
	"sort"
	"strings"
)

// Unknown is an ONIT_* variable that no setting reads: usually a typo,
// which would otherwise be ignored without a word.
type Unknown struct {
	Name    string
	Closest string // the known variable it most likely means; "" when none is close
}

// String is the warning an operator reads.
func (u Unknown) String() string {
	if u.Closest == "" {
		return u.Name + " is not a setting Onit reads"
	}
	return u.Name + " is not a setting Onit reads; did you mean " + u.Closest + "?"
}

// outsideSettings are ONIT_* variables read by other parts of the
// repository (test helpers, the load harness), not by the server.
var outsideSettings = []string{"ONIT_BENCH_MYSQL_DSN"}

// KnownVariables lists every ONIT_* variable something in Onit reads.
func KnownVariables() []string {
	var out []string
	for _, f := range Fields(Settings{}) {
		out = append(out, f.Key)
	}
	t := reflect.TypeFor[TestServices]()
	for i := range t.NumField() {
		if k := t.Field(i).Tag.Get("env"); k != "" {
			out = append(out, k)
		}
	}
	return append(out, outsideSettings...)
}

// UnknownVariables lists the ONIT_* variables of src (the environment and
// the .env file) that Onit does not read, sorted, each with the closest
// known name when it is near enough to be a typo.
func UnknownVariables(src Source) ([]Unknown, error) {
	vars, err := src.vars()
	if err != nil {
		return nil, err
	}
	known := KnownVariables()
	isKnown := map[string]bool{}
	for _, k := range known {
		isKnown[k] = true
	}
	var out []Unknown
	for name := range vars {
		if !strings.HasPrefix(name, "ONIT_") || isKnown[name] {
			continue
		}
		out = append(out, Unknown{Name: name, Closest: closest(name, known)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// closest returns the candidate nearest to name when it is within a few
// edits (a third of the part after ONIT_), else "".
func closest(name string, candidates []string) string {
	best, bestD := "", (len(name)-len("ONIT_"))/3+1
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (with adjacent
// transpositions, the commonest typo) between a and b, in bytes.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
