package checks

import (
	"encoding/json"
	"strings"
	"testing"
)

var sampleFindings = []Finding{
	newFinding("onit.W018", "ONIT_DEBUG is on.", "Set ONIT_DEBUG=false."),
	newFinding("onit.E055", "Too many connections.", "Lower the pool."),
	newFinding("onit.W004", "No HSTS.", ""),
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name       string
		silenced   []string
		fail       Level
		wantIDs    string
		wantSilent int
		wantFailed bool
	}{
		{"errors fail by default", nil, Error, "onit.E055 onit.W004 onit.W018", 0, true},
		{"silencing the error passes", []string{"onit.E055"}, Error, "onit.W004 onit.W018", 1, false},
		{"silencing ignores case and spaces", []string{" ONIT.e055", "onit.W018"}, Error, "onit.W004", 2, false},
		{"fail level warning", []string{"onit.E055"}, Warning, "onit.W004 onit.W018", 1, true},
		{"fail level critical", nil, Critical, "onit.E055 onit.W004 onit.W018", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(sampleFindings, tt.silenced, tt.fail)
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.ID)
			}
			if strings.Join(got, " ") != tt.wantIDs || r.Silenced != tt.wantSilent || r.Failed() != tt.wantFailed {
				t.Errorf("got %v, %d silenced, failed %v; want %s, %d, %v", got, r.Silenced, r.Failed(), tt.wantIDs, tt.wantSilent, tt.wantFailed)
			}
		})
	}
}

func TestWriteText(t *testing.T) {
	tests := []struct {
		name     string
		findings []Finding
		silenced []string
		want     string
	}{
		{"django layout", sampleFindings, []string{"onit.W999"}, `SystemCheckError: System check identified some issues:

ERRORS:
?: (onit.E055) Too many connections.
	HINT: Lower the pool.

WARNINGS:
?: (onit.W004) No HSTS.
?: (onit.W018) ONIT_DEBUG is on.
	HINT: Set ONIT_DEBUG=false.

System check identified 3 issues (0 silenced).
`},
		{"warnings only do not fail", sampleFindings[2:], nil, `System check identified some issues:

WARNINGS:
?: (onit.W004) No HSTS.

System check identified 1 issue (0 silenced).
`},
		{"nothing", sampleFindings[2:], []string{"onit.W004"}, "System check identified no issues (1 silenced).\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := Evaluate(tt.findings, tt.silenced, Error).WriteText(&b); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	var b strings.Builder
	if err := Evaluate(sampleFindings, []string{"onit.W018"}, Error).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Issues []struct {
			ID, Level, Message, Hint string
			Django                   string `json:"django_id"`
		}
		Silenced  int
		FailLevel string `json:"fail_level"`
		Failed    bool
	}
	if err := json.Unmarshal([]byte(b.String()), &out); err != nil {
		t.Fatalf("%v: %s", err, b.String())
	}
	if len(out.Issues) != 2 || out.Issues[0].ID != "onit.E055" || out.Issues[0].Level != "ERROR" ||
		out.Issues[1].Django != "security.W004" || out.Silenced != 1 || out.FailLevel != "ERROR" || !out.Failed {
		t.Errorf("unexpected JSON: %s", b.String())
	}
}
