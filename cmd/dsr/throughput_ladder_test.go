package main

import (
	"math"
	"testing"
	"time"
)

// A server that keeps up with up to 40 starts/s: each rate above that is
// achieved at 40/s and queues.
func fakeRate(rate float64) (ceilingRate, bool) {
	got, p99 := rate, 50*time.Millisecond
	if rate > 40 {
		got, p99 = 40, 3*time.Second
	}
	return ceilingRate{rate: rate, started: int(got * 10), window: 10 * time.Second, p99: p99}, true
}

// The ceiling is the highest sustained rate of the ladder, whether the
// guess was below it or above it.
func TestClimbLadder(t *testing.T) {
	for _, c := range []struct {
		guess float64
		want  []float64 // rates tried
		best  float64
	}{
		{guess: 30, want: []float64{30, 37.5, 46.875}, best: 37.5},
		{guess: 60, want: []float64{60, 48, 38.4}, best: 38.4},
		{guess: 40, want: []float64{40, 50}, best: 40},
	} {
		p := climbLadder(c.guess, fakeRate)
		var tried []float64
		for _, r := range p.tried {
			tried = append(tried, r.rate)
		}
		if len(tried) != len(c.want) {
			t.Fatalf("guess %g: tried %v, want %v", c.guess, tried, c.want)
		}
		for i := range tried {
			if math.Abs(tried[i]-c.want[i]) > 1e-9 {
				t.Fatalf("guess %g: tried %v, want %v", c.guess, tried, c.want)
			}
		}
		if got := p.value().rate; math.Abs(got-c.best) > 1e-9 {
			t.Errorf("guess %g: ceiling at rate %g, want %g", c.guess, got, c.best)
		}
	}
}

// A server that sustains no rate (here: every start fails) is bounded by
// the ladder's length and reports the most it started, marked unsustained.
func TestClimbLadderNothingSustained(t *testing.T) {
	calls := 0
	p := climbLadder(100, func(rate float64) (ceilingRate, bool) {
		calls++
		return ceilingRate{rate: rate, started: 10, window: 10 * time.Second, errors: map[string]int{"start Unavailable": 1}}, true
	})
	if calls != throughputLadder || p.best != -1 {
		t.Fatalf("%d rates tried, best %d; want %d tried and none sustained", calls, p.best, throughputLadder)
	}
	if got := p.value().perSecond(); got != 1 {
		t.Errorf("ceiling %g starts/s, want the most started (1/s)", got)
	}
}

// The deadline ends the ladder.
func TestClimbLadderStopsWithoutTime(t *testing.T) {
	left := 2
	p := climbLadder(10, func(rate float64) (ceilingRate, bool) {
		if left == 0 {
			return ceilingRate{}, false
		}
		left--
		return fakeRate(rate)
	})
	if len(p.tried) != 2 {
		t.Fatalf("tried %d rates with time for 2", len(p.tried))
	}
}

// A run cut short before any ceiling was measured reports zero, not a
// panic or NaN.
func TestCeilingWithoutMeasurement(t *testing.T) {
	if got := (ceilingProbe{best: -1}).value().perSecond(); got != 0 {
		t.Errorf("probe without rates: %g starts/s", got)
	}
	if got := (&throughputResult{}).ceiling().perSecond(); got != 0 {
		t.Errorf("run without probes: %g starts/s", got)
	}
}
