package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/hubssh/hubssh/internal/bench"
)

type results struct {
	o       *options
	order   []string                                   // metric names in first-seen order
	data    map[string]map[string]map[string][]float64 // metric → cipher → stack → samples
	idleRSS map[string]float64                         // MiB
	peakRSS map[string]float64                         // MiB
}

func newResults(o *options) *results {
	return &results{o: o, data: map[string]map[string]map[string][]float64{}, idleRSS: map[string]float64{}, peakRSS: map[string]float64{}}
}

func (r *results) add(metric, stack, cipher string, v float64) {
	if r.data[metric] == nil {
		r.data[metric] = map[string]map[string][]float64{}
		r.order = append(r.order, metric)
	}
	if r.data[metric][cipher] == nil {
		r.data[metric][cipher] = map[string][]float64{}
	}
	r.data[metric][cipher][stack] = append(r.data[metric][cipher][stack], v)
}

// higherIsBetter is true for throughputs (MiB/s).
func higherIsBetter(metric string) bool { return strings.Contains(metric, "MiB/s") }

type row struct {
	Metric  string      `json:"metric"`
	Cipher  string      `json:"cipher"`
	Hubsshd bench.Stats `json:"hubsshd"`
	OpenSSH bench.Stats `json:"openssh"`
	Ratio   float64     `json:"ratio_hubsshd_over_openssh"`
	Verdict string      `json:"verdict"`
}

func (r *results) rows() []row {
	var rows []row
	for _, m := range r.order {
		for _, c := range r.o.ciphers {
			byStack, ok := r.data[m][c]
			if !ok {
				continue
			}
			h, o := bench.Summarise(byStack["hubsshd"]), bench.Summarise(byStack["openssh"])
			rw := row{Metric: m, Cipher: cipherName(c), Hubsshd: h, OpenSSH: o}
			if o.Median > 0 {
				rw.Ratio = h.Median / o.Median
			}
			rw.Verdict = verdict(m, rw.Ratio)
			rows = append(rows, rw)
		}
	}
	return rows
}

// verdict applies the targets: throughput ≥ 0.9× OpenSSH, latency ≤ 1.1×.
func verdict(metric string, ratio float64) string {
	switch {
	case ratio == 0:
		return ""
	case higherIsBetter(metric) && ratio >= 0.9, !higherIsBetter(metric) && ratio <= 1.1:
		return "meets target"
	default:
		return "below target"
	}
}

func (r *results) write(o *options, stdout io.Writer) error {
	rows := r.rows()
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# hubsshd vs OpenSSH sshd, direct loopback TCP\n\n")
	fmt.Fprintf(&b, "%s, %s/%s, %d CPUs, %s; client: OpenSSH ssh; %d run(s); exec cat %d MiB each way, sftp %d MiB, %d round trips, %d concurrent connections.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), host, o.runs, o.size>>20, o.sftpSize>>20, o.rtts, o.concurrent)
	fmt.Fprintf(&b, "| metric | cipher | hubsshd median (min–max) | OpenSSH median (min–max) | hubsshd / OpenSSH | target |\n|---|---|---|---|---|---|\n")
	for _, rw := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %.2f | %s |\n", rw.Metric, rw.Cipher, fmtStats(rw.Hubsshd), fmtStats(rw.OpenSSH), rw.Ratio, rw.Verdict)
	}
	fmt.Fprintf(&b, "| server RSS idle (MiB) | | %.1f | %.1f | %.2f | hubsshd < 20 MiB |\n", r.idleRSS["hubsshd"], r.idleRSS["openssh"], r.idleRSS["hubsshd"]/r.idleRSS["openssh"])
	fmt.Fprintf(&b, "| server RSS peak, %d connections (MiB) | | %.1f | %.1f | %.2f | |\n", o.concurrent, r.peakRSS["hubsshd"], r.peakRSS["openssh"], r.peakRSS["hubsshd"]/r.peakRSS["openssh"])
	fmt.Fprint(stdout, b.String())

	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.out, "sshd.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	js, _ := json.MarshalIndent(map[string]any{
		"rows": rows, "idle_rss_mib": r.idleRSS, "peak_rss_mib": r.peakRSS,
		"runs": o.runs, "size": o.size, "sftp_size": o.sftpSize, "rtts": o.rtts, "concurrent": o.concurrent,
	}, "", "  ")
	return os.WriteFile(filepath.Join(o.out, "sshd.json"), js, 0o644)
}

func fmtStats(s bench.Stats) string {
	return fmt.Sprintf("%s (%s–%s)", bench.Num(s.Median), bench.Num(s.Min), bench.Num(s.Max))
}
