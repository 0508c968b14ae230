package env

import (
	"os"
	"strings"
	"testing"
)

// The README's settings table and .env.example must list every variable,
// so operators never meet an undocumented one.
func TestEveryVariableIsDocumented(t *testing.T) {
	for _, file := range []string{"../README.md", "../.env.example"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range Fields(Settings{}) {
			if !strings.Contains(string(raw), f.Key+"`") && !strings.Contains(string(raw), f.Key+"=") {
				t.Errorf("%s does not document %s", file, f.Key)
			}
		}
	}
}
