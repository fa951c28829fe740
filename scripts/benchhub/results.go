package main

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/hubssh/hubssh/internal/bench"
)

type results struct {
	order     []string
	data      map[string]map[string][]float64 // metric → stack → samples
	idleRSS   float64                         // hubsshd, MiB
	helperRSS float64                         // hubssh proxy during upload, MiB
	peakRSS   map[string]float64              // server tree under concurrency, MiB
	failures  map[string]map[string][]string  // metric → stack → reasons
	// resume rows: metric → "on"/"off" → samples (resume.go)
	resume      map[string]map[string][]float64
	resumeOrder []string
}

// failed records a measurement that gave no result (stalled, broke).
func (r *results) failed(metric, stack, reason string) {
	if r.failures[metric] == nil {
		r.failures[metric] = map[string][]string{}
	}
	r.failures[metric][stack] = append(r.failures[metric][stack], reason)
	if r.data[metric] == nil {
		r.data[metric] = map[string][]float64{}
		r.order = append(r.order, metric)
	}
}

// ownFailures lists failures of the stacks this project answers for.
func (r *results) ownFailures() []string {
	var out []string
	for m, by := range r.failures {
		for st, reasons := range by {
			if st != sPeer {
				out = append(out, fmt.Sprintf("%s, %s: %s", st, m, reasons[0]))
			}
		}
	}
	return out
}

func newResults() *results {
	return &results{data: map[string]map[string][]float64{}, peakRSS: map[string]float64{}, failures: map[string]map[string][]string{},
		resume: map[string]map[string][]float64{}}
}

func (r *results) add(metric, stack string, v float64) {
	if r.data[metric] == nil {
		r.data[metric] = map[string][]float64{}
		r.order = append(r.order, metric)
	}
	r.data[metric][stack] = append(r.data[metric][stack], v)
}

func higherIsBetter(m string) bool { return strings.Contains(m, "MiB/s") }

// hubOwn rows measure the hub, not the stacks: context, not a contest, so
// they get no ratio.
func hubOwn(m string) bool { return strings.HasPrefix(m, "hub's own") }

type row struct {
	Metric       string                 `json:"metric"`
	Stacks       map[string]bench.Stats `json:"stacks"`
	VsPeer       float64                `json:"hubssh_over_peer,omitempty"`
	VsCeiling    float64                `json:"hubssh_over_ceiling,omitempty"`
	BetterIsHigh bool                   `json:"higher_is_better"`
}

func (r *results) rows() []row {
	var rows []row
	for _, m := range r.order {
		rw := row{Metric: m, Stacks: map[string]bench.Stats{}, BetterIsHigh: higherIsBetter(m)}
		for st, xs := range r.data[m] {
			if len(xs) > 0 {
				rw.Stacks[st] = bench.Summarise(xs)
			}
		}
		h := rw.Stacks[sHubssh].Median
		if hubOwn(m) {
			h = 0
		}
		if p := rw.Stacks[sPeer].Median; p > 0 && h > 0 {
			rw.VsPeer = h / p
		}
		if c := rw.Stacks[sCeiling].Median; c > 0 && h > 0 {
			rw.VsCeiling = h / c
		}
		rows = append(rows, rw)
	}
	return rows
}

func (r *results) write(o *options, stdout io.Writer) error {
	rows := r.rows()
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# SSH into a JupyterHub server: hubssh vs jupyter-sshd-proxy, one hub, one run\n\n")
	fmt.Fprintf(&b, "%s, %s/%s, %d CPUs, %s; OpenSSH client; %d run(s); bulk = exec cat of %d MiB each way (raw bytes for the ceiling), sftp %d MiB (SHA-256 checked), %d round trips, %d sessions at once. Median (min–max).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), host, o.runs, o.size>>20, o.sftpSize>>20, o.rtts, o.concurrent)
	fmt.Fprintf(&b, "| metric | %s | hubssh ÷ jupyter-sshd-proxy | hubssh ÷ ceiling |\n|---|%s---|---|\n", strings.Join(stackOrder, " | "), strings.Repeat("---|", len(stackOrder)))
	for _, rw := range rows {
		var cells []string
		for _, st := range stackOrder {
			cell := "—"
			if s, ok := rw.Stacks[st]; ok {
				cell = fmt.Sprintf("%s (%s–%s)", bench.Num(s.Median), bench.Num(s.Min), bench.Num(s.Max))
			}
			if f := r.failures[rw.Metric][st]; len(f) > 0 {
				cell += fmt.Sprintf("; **failed %d×: %s**", len(f), f[0])
			}
			cells = append(cells, cell)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", rw.Metric, strings.Join(cells, " | "), ratio(rw.VsPeer, rw.BetterIsHigh), ratio(rw.VsCeiling, rw.BetterIsHigh))
	}
	fmt.Fprintf(&b, "| server memory idle (MiB) | %.1f (hubsshd) | | | | | |\n", r.idleRSS)
	fmt.Fprintf(&b, "| server memory, %d sessions (MiB, whole tree) | %.0f | %.0f | — | %.0f | %s | |\n", o.concurrent,
		r.peakRSS[sHubssh], r.peakRSS[sPeer], r.peakRSS[sDirect], ratio(r.peakRSS[sHubssh]/r.peakRSS[sPeer], false))
	fmt.Fprintf(&b, "| helper memory during bulk upload (MiB) | %.1f (hubssh proxy) | | | | | |\n", r.helperRSS)
	resumeMD, resumeJSON := r.resumeTable()
	if o.resumeOnly {
		// Only these rows were measured: the main table would be empty.
		b.Reset()
		fmt.Fprintf(&b, "# hubssh with resume on and off, one hub, one run\n\n%s, %s/%s, %d CPUs, %s; OpenSSH client; %d run(s).\n",
			time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), host, o.runs)
	}
	b.WriteString(resumeMD)
	fmt.Fprint(stdout, b.String())

	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.out, "hub.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	js, _ := json.MarshalIndent(map[string]any{
		"rows": rows, "failures": r.failures, "hubsshd_idle_rss_mib": r.idleRSS, "helper_rss_mib": r.helperRSS, "server_peak_rss_mib": r.peakRSS,
		"runs": o.runs, "size": o.size, "sftp_size": o.sftpSize, "rtts": o.rtts, "concurrent": o.concurrent,
		"resume": resumeJSON,
	}, "", "  ")
	if err := os.WriteFile(filepath.Join(o.out, "hub.json"), js, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(o.out, "hub.svg"), []byte(chart(rows, r.failures)), 0o644)
}

// render redraws the chart from a hub.json written by an earlier run.
func render(jsonPath string) error {
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		return err
	}
	var saved struct {
		Rows     []row                          `json:"rows"`
		Failures map[string]map[string][]string `json:"failures"`
	}
	if err := json.Unmarshal(b, &saved); err != nil {
		return fmt.Errorf("%s: %w", jsonPath, err)
	}
	out := filepath.Join(filepath.Dir(jsonPath), "hub.svg")
	return os.WriteFile(out, []byte(chart(saved.Rows, saved.Failures)), 0o644)
}

// ratio prints hubssh ÷ other with a mark for which side is better.
func ratio(v float64, higherBetter bool) string {
	if v == 0 {
		return "—"
	}
	better := v >= 1 == higherBetter
	if v == 1 {
		better = true
	}
	mark := "worse"
	if better {
		mark = "better"
	}
	return fmt.Sprintf("%.2f (%s)", v, mark)
}

// chart draws one group of horizontal bars per metric, each scaled to the
// largest value of its group, labelled with the value, and marked when that
// stack also failed the measurement (a stall must not look like a result).
func chart(rows []row, failures map[string]map[string][]string) string {
	colors := map[string]string{sHubssh: "#2b6cb0", sPeer: "#dd6b20", sCeiling: "#718096", sHTTP: "#a0aec0", sDirect: "#38a169"}
	const w, left, barH, gap = 900, 290, 16, 18
	var b strings.Builder
	y := 60
	var body strings.Builder
	for _, rw := range rows {
		maxV := 0.0
		for _, s := range rw.Stacks {
			maxV = max(maxV, s.Median)
		}
		dir := "lower is better"
		switch {
		case hubOwn(rw.Metric):
			dir = "the hub's, for context"
		case rw.BetterIsHigh:
			dir = "higher is better"
		}
		fmt.Fprintf(&body, `<text x="10" y="%d" font-weight="bold">%s</text><text x="%d" y="%d" fill="#666" text-anchor="end">%s</text>`+"\n",
			y, html.EscapeString(rw.Metric), w-10, y, dir)
		y += 6
		for _, st := range stackOrder {
			s, ok := rw.Stacks[st]
			if !ok || maxV == 0 {
				continue
			}
			bw := int(float64(w-left-200) * s.Median / maxV)
			label := bench.Num(s.Median)
			if f := failures[rw.Metric][st]; len(f) > 0 {
				label += fmt.Sprintf(`  <tspan fill="#c53030" font-weight="bold">⚠ also failed %d×</tspan>`, len(f))
			}
			fmt.Fprintf(&body, `<text x="%d" y="%d" text-anchor="end">%s</text><rect x="%d" y="%d" width="%d" height="%d" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
				left-8, y+barH-3, html.EscapeString(st), left, y, max(bw, 1), barH, colors[st], left+bw+6, y+barH-3, label)
			y += barH + 3
		}
		y += gap
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="13">`+"\n", w, y)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="10" y="28" font-size="17" font-weight="bold">SSH into a JupyterHub server, same hub, same machine (median of runs)</text>`+"\n")
	b.WriteString(body.String())
	b.WriteString("</svg>\n")
	return b.String()
}
