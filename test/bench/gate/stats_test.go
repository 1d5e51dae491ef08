package main

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestSummarize(t *testing.T) {
	cases := []struct {
		name   string
		sample []time.Duration
		want   summary
	}{
		{name: "empty", want: summary{}},
		{name: "one", sample: []time.Duration{5}, want: summary{n: 1, min: 5, median: 5, p95: 5, max: 5}},
		{
			name:   "twenty, unsorted",
			sample: []time.Duration{20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1},
			want:   summary{n: 20, min: 1, median: 10, p95: 19, max: 20},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(summarize(c.sample)).To(Equal(c.want))
		})
	}
}
