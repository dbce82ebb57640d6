package vote

import (
	"errors"
	"testing"
)

func TestParamsFor(t *testing.T) {
	tests := []struct {
		peers, k, alphaPref, alpha int
	}{
		{-3, 1, 1, 1},
		{0, 1, 1, 1},
		{1, 1, 1, 1},
		{2, 2, 2, 2},
		{3, 3, 2, 3},
		{4, 4, 3, 3},
		{5, 5, 3, 4},
		{9, 9, 5, 7},
		{19, 19, 10, 15},
		{20, 20, 11, 15},
		{1000, 20, 11, 15},
	}
	for _, tc := range tests {
		p := ParamsFor(tc.peers)
		if p.K != tc.k || p.AlphaPreference != tc.alphaPref || p.Alpha != tc.alpha || p.BetaVirtuous != 1 || p.BetaRogue != DefaultBetaRogue {
			t.Errorf("ParamsFor(%d) = %+v, want k %d, alpha preference %d, alpha %d", tc.peers, p, tc.k, tc.alphaPref, tc.alpha)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("ParamsFor(%d).Validate() = %v", tc.peers, err)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	ok := Params{K: 20, AlphaPreference: 11, Alpha: 15, BetaVirtuous: 1, BetaRogue: 20}
	tests := []struct {
		name string
		edit func(*Params)
	}{
		{"zero k", func(p *Params) { p.K = 0 }},
		{"k over MaxK", func(p *Params) { p.K, p.AlphaPreference, p.Alpha = MaxK+1, MaxK, MaxK }},
		{"alpha preference half of k", func(p *Params) { p.AlphaPreference = 10 }},
		{"alpha below alpha preference", func(p *Params) { p.Alpha = 10 }},
		{"alpha over k", func(p *Params) { p.Alpha = 21 }},
		{"zero beta virtuous", func(p *Params) { p.BetaVirtuous = 0 }},
		{"beta rogue below beta virtuous", func(p *Params) { p.BetaVirtuous, p.BetaRogue = 3, 2 }},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", ok, err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			tc.edit(&p)
			if err := p.Validate(); !errors.Is(err, ErrParams) {
				t.Errorf("Validate(%+v) = %v, want ErrParams", p, err)
			}
		})
	}
}
