package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

func TestDefaultWorkers(t *testing.T) {
	comps := func(n int) []*probes.Component {
		cs := make([]*probes.Component, n)
		for i := range cs {
			cs[i] = &probes.Component{ID: fmt.Sprint(i), Interval: 30 * time.Second, Steps: []*probes.Step{{Timeout: 5 * time.Second}}}
		}
		return cs
	}
	tests := []struct {
		name   string
		n      int
		nofile uint64
		want   int
	}{
		{"few components", 37, 1 << 20, probes.MinWorkers},
		{"10,000 components, limit raised", 10000, 1 << 20, 1667},
		{"10,000 components, soft limit 1,024", 10000, 1024, 256},
		{"10,000 components, soft limit 4,096", 10000, 4096, 1408},
		{"tiny limit", 37, 256, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := defaultWorkers(comps(tt.n), tt.nofile)
			if got != tt.want {
				t.Errorf("defaultWorkers(%d components, nofile %d) = %d, want %d", tt.n, tt.nofile, got, tt.want)
			}
			if got > 1 && connCap(0, tt.nofile, got) < int(tt.nofile)/4 {
				t.Errorf("connCap(0, %d, %d) = %d, want at least a quarter of the descriptors", tt.nofile, got, connCap(0, tt.nofile, got))
			}
		})
	}
}
