package main

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestRatio(t *testing.T) {
	tests := []struct {
		v            float64
		higherBetter bool
		want         string
	}{
		{2, true, "2.00 (better)"},
		{0.5, true, "0.50 (worse)"},
		{0.5, false, "0.50 (better)"},
		{1.2, false, "1.20 (worse)"},
		{1, false, "1.00 (better)"},
		{0, true, "—"},
	}
	for _, tt := range tests {
		if got := ratio(tt.v, tt.higherBetter); got != tt.want {
			t.Errorf("ratio(%v, %v) = %q, want %q", tt.v, tt.higherBetter, got, tt.want)
		}
	}
}

func TestRowsAndChart(t *testing.T) {
	r := newResults()
	r.add("bulk upload (MiB/s)", sHubssh, 100)
	r.add("bulk upload (MiB/s)", sHubssh, 120)
	r.add("bulk upload (MiB/s)", sPeer, 50)
	r.add("bulk upload (MiB/s)", sCeiling, 200)
	r.add("round trip p50 (ms)", sHubssh, 0.5)
	r.add("round trip p50 (ms)", sPeer, 1.0)
	r.add("hub's own spawn time (s)", sHubssh, 2.2)
	r.add("hub's own spawn time (s)", sPeer, 2.0)
	rows := r.rows()
	if len(rows) != 3 || rows[2].VsPeer != 0 {
		t.Fatalf("the hub's own time got a ratio: %+v", rows)
	}
	if svg := chart(rows, nil); !strings.Contains(svg, ">the hub's, for context<") {
		t.Errorf("the chart does not set the hub's own row apart:\n%s", svg)
	}
	rows = rows[:2]
	// Medians are nearest-rank: of {100, 120} it is 120.
	if len(rows) != 2 || rows[0].VsPeer != 120.0/50 || rows[0].VsCeiling != 120.0/200 || !rows[0].BetterIsHigh || rows[1].BetterIsHigh {
		t.Fatalf("rows %+v", rows)
	}
	svg := chart(rows, map[string]map[string][]string{"bulk upload (MiB/s)": {sPeer: {"stalled"}}})
	var doc struct {
		Rects []struct{} `xml:"rect"`
	}
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatalf("chart is not valid SVG/XML: %v", err)
	}
	if len(doc.Rects) != 1+3+2 { // background + one bar per stack value
		t.Errorf("%d rects, want 6", len(doc.Rects))
	}
	if !strings.Contains(svg, "higher is better") || !strings.Contains(svg, "lower is better") {
		t.Error("chart does not say which way is better")
	}
	if strings.Count(svg, "also failed 1×") != 1 {
		t.Error("the peer's failure is not marked on its bar")
	}
}
