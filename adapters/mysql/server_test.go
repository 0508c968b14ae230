package mysql

import "testing"

func TestParseCounter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value string
		want  uint64
		ok    bool
	}{
		{"12345", 12345, true},
		{" 7 ", 7, true},
		{"18446744073709551615", 1<<64 - 1, true}, // beyond a float's exact integers
		{"", 0, false},
		{"Dumping", 0, false},
		{"ON", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseCounter(tt.value)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseCounter(%q) = %d, %v; want %d, %v", tt.value, got, ok, tt.want, tt.ok)
		}
	}
}
