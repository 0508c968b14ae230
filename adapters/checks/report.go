package checks

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Result is a check run after silencing, ready to print.
type Result struct {
	Findings  []Finding // visible ones, most severe first, then by ID
	Silenced  int       // findings dropped by ID (ONIT_SILENCED_CHECKS)
	FailLevel Level
}

// Evaluate drops the silenced IDs (counted, not shown, as Django does) and
// orders the rest.
func Evaluate(findings []Finding, silenced []string, fail Level) Result {
	r := Result{FailLevel: fail}
	for _, f := range findings {
		if slices.ContainsFunc(silenced, func(id string) bool { return strings.EqualFold(strings.TrimSpace(id), f.ID) }) {
			r.Silenced++
			continue
		}
		r.Findings = append(r.Findings, f)
	}
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		if a.Level != b.Level {
			return int(b.Level - a.Level)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return r
}

// Failed reports whether a visible finding is at or above the fail level:
// the command then exits 1.
func (r Result) Failed() bool {
	for _, f := range r.Findings {
		if f.Level >= r.FailLevel {
			return true
		}
	}
	return false
}

// groups are Django's section headings, most severe first.
var groups = []struct {
	level Level
	name  string
}{{Critical, "CRITICALS"}, {Error, "ERRORS"}, {Warning, "WARNINGS"}, {Info, "INFOS"}, {Debug, "DEBUGS"}}

// WriteText prints the result as Django's check command does:
//
//	System check identified some issues:
//
//	WARNINGS:
//	?: (onit.W004) message
//		HINT: hint
//
//	System check identified 1 issue (0 silenced).
//
// A failed run starts with "SystemCheckError: ", as Django's does.
func (r Result) WriteText(w io.Writer) error {
	var b strings.Builder
	if len(r.Findings) > 0 {
		if r.Failed() {
			b.WriteString("SystemCheckError: ")
		}
		b.WriteString("System check identified some issues:\n")
		for _, g := range groups {
			var lines []string
			for _, f := range r.Findings {
				if f.Level != g.level {
					continue
				}
				line := fmt.Sprintf("?: (%s) %s", f.ID, f.Msg)
				if f.Hint != "" {
					line += "\n\tHINT: " + f.Hint
				}
				lines = append(lines, line)
			}
			if len(lines) > 0 {
				fmt.Fprintf(&b, "\n%s:\n%s\n", g.name, strings.Join(lines, "\n"))
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "System check identified %s (%d silenced).\n", countIssues(len(r.Findings)), r.Silenced)
	_, err := io.WriteString(w, b.String())
	return err
}

func countIssues(n int) string {
	switch n {
	case 0:
		return "no issues"
	case 1:
		return "1 issue"
	}
	return fmt.Sprintf("%d issues", n)
}

// jsonFinding is one finding in --format json.
type jsonFinding struct {
	ID      string `json:"id"`
	Level   string `json:"level"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	Django  string `json:"django_id,omitempty"`
}

// WriteJSON prints the result for CI pipelines: {"issues": [...],
// "silenced": N, "fail_level": "ERROR", "failed": bool}.
func (r Result) WriteJSON(w io.Writer) error {
	out := struct {
		Issues    []jsonFinding `json:"issues"`
		Silenced  int           `json:"silenced"`
		FailLevel string        `json:"fail_level"`
		Failed    bool          `json:"failed"`
	}{Issues: []jsonFinding{}, Silenced: r.Silenced, FailLevel: r.FailLevel.String(), Failed: r.Failed()}
	for _, f := range r.Findings {
		out.Issues = append(out.Issues, jsonFinding{ID: f.ID, Level: f.Level.String(), Message: f.Msg, Hint: f.Hint, Django: specByID[f.ID].Django})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
