package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// summary is min / median / p95 / max of a sample (nearest-rank percentiles).
type summary struct {
	n                     int
	min, median, p95, max time.Duration
}

func summarize(sample []time.Duration) summary {
	if len(sample) == 0 {
		return summary{}
	}
	s := slices.Clone(sample)
	slices.Sort(s)
	return summary{n: len(s), min: s[0], median: rank(s, 50), p95: rank(s, 95), max: s[len(s)-1]}
}

// rank is the nearest-rank percentile p of the sorted sample s.
func rank(s []time.Duration, p int) time.Duration {
	i := (p*len(s) + 99) / 100 // ceil(p/100 * n), 1-based
	return s[max(i, 1)-1]
}

func printTable(w io.Writer, title string, rows []string, sums map[string]summary) {
	_, _ = fmt.Fprintf(w, "\n%s (ms)\n%-16s %4s %8s %8s %8s %8s\n", title, "candidate", "n", "min", "median", "p95", "max")
	for _, r := range rows {
		s, ok := sums[r]
		if !ok {
			continue
		}
		_, _ = fmt.Fprintf(w, "%-16s %4d %8s %8s %8s %8s\n", r, s.n, ms(s.min), ms(s.median), ms(s.p95), ms(s.max))
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
