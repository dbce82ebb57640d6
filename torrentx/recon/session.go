package recon

import (
	"fmt"

	"github.com/torrenttx/ttx/dag"
)

// Session is the initiating side of one reconciliation. It sends queries
// (Initiate, then Reconcile on each reply) until nothing is left to
// compare, and learns both differences: the IDs the peer holds that this
// side lacks (Need) and the ones this side holds that the peer lacks.
//
// Memory is bounded by Config.MaxIDs plus the ID lists of the last query,
// whatever the size of the sets. The Set may change between rounds (a new
// snapshot per call is fine): IDs that arrive meanwhile may be reported or
// not, and a later session finds what this one missed.
//
// A Session is not safe for concurrent use.
type Session struct {
	cfg    Config
	sent   map[dag.TxID][]dag.TxID // ID lists of the last query, by lower bound
	res    Result
	ids    int
	rounds int
	done   bool
}

// NewSession returns a session with cfg's limits.
func NewSession(cfg Config) (*Session, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Session{cfg: c}, nil
}

// Initiate returns the first query: the whole ID space split into
// fingerprinted ranges, or the set's IDs if it is small.
func (s *Session) Initiate(set Set) (*Message, error) {
	if s.done || s.sent != nil {
		return nil, fmt.Errorf("%w: initiate twice", ErrDone)
	}
	s.sent = make(map[dag.TxID][]dag.TxID)
	acc, err := summarize(set, dag.TxID{}, dag.TxID{})
	if err != nil {
		return nil, err
	}
	w := newWriter(&s.cfg)
	if err := s.mismatch(w, set, dag.TxID{}, dag.TxID{}, acc.Count, nil); err != nil {
		return nil, err
	}
	return &w.msg, nil
}

// Reconcile processes the peer's reply and returns the next query, or nil
// when the session is done (see Result). For each range of the reply:
//
//   - skip: nothing.
//   - fingerprint: nothing if it matches; if the peer holds no ID there,
//     every ID of ours in the range is one it lacks; else our ID list if
//     we hold at most IDListMax there, an empty list (asking for theirs) if
//     we hold none or they hold at most IDListMax, or else sub-ranges.
//   - idlist (their IDs in the range): the differences, both ways.
//   - iddiff (the answer to our list): the IDs we lack, and the bitmap of
//     our listed IDs that they lack.
func (s *Session) Reconcile(set Set, reply *Message) (*Message, error) {
	if s.done {
		return nil, ErrDone
	}
	if s.sent == nil {
		return nil, fmt.Errorf("%w: reply before Initiate", ErrProtocol)
	}
	s.rounds++
	sent := s.sent
	s.sent = make(map[dag.TxID][]dag.TxID)
	w := newWriter(&s.cfg)
	var lo dag.TxID
	for i := range reply.Ranges {
		r := &reply.Ranges[i]
		hi := r.Upper
		switch r.Mode {
		case ModeSkip:
		case ModeFingerprint:
			acc, err := summarize(set, lo, hi)
			if err != nil {
				return nil, err
			}
			switch {
			case acc.Count == r.Count && acc.Fingerprint() == r.Fingerprint:
			case r.Count == 0:
				s.addHaveRange(lo, hi, nil)
			default:
				if err := s.mismatch(w, set, lo, hi, acc.Count, &r.Count); err != nil {
					return nil, err
				}
			}
		case ModeIDList:
			if err := s.learnList(set, lo, hi, r.IDs); err != nil {
				return nil, err
			}
		case ModeIDDiff:
			if err := s.learnDiff(set, lo, hi, r, sent); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: unknown mode %d", ErrProtocol, r.Mode)
		}
		if w.stopped || s.ids >= s.cfg.MaxIDs || hi.IsZero() {
			break
		}
		lo = hi
	}
	switch {
	case s.ids >= s.cfg.MaxIDs || s.rounds >= s.cfg.MaxRounds:
		s.done, s.res.Complete = true, false
		return nil, nil
	case len(w.msg.Ranges) == 0:
		s.done, s.res.Complete = true, true
		return nil, nil
	}
	return &w.msg, nil
}

// mismatch writes what to send for [lo, hi) where we hold n IDs and the
// sides differ; theirs is the peer's count there, if known.
func (s *Session) mismatch(w *writer, set Set, lo, hi dag.TxID, n uint64, theirs *uint64) error {
	small := uint64(s.cfg.IDListMax)
	var rs []Range
	switch {
	case n == 0 || (n > small && theirs != nil && *theirs <= small):
		rs = []Range{{Upper: hi, Mode: ModeIDList}}
	case n <= small:
		ids, _, _, err := collect(set, lo, hi, int(small))
		if err != nil {
			return err
		}
		rs = []Range{{Upper: hi, Mode: ModeIDList, IDs: ids}}
	default:
		var err error
		if rs, err = split(set, lo, hi, n, s.cfg.Buckets); err != nil {
			return err
		}
	}
	if !w.put(lo, rs...) {
		w.stopped = true
		return w.finish(set, lo)
	}
	if rs[0].Mode == ModeIDList {
		s.sent[lo] = rs[0].IDs
	}
	return nil
}

// learnList takes the peer's full list for [lo, hi).
func (s *Session) learnList(set Set, lo, hi dag.TxID, theirs []dag.TxID) error {
	j, ours := 0, false
	err := set.Range(lo, hi, func(id dag.TxID) bool {
		for ; j < len(theirs) && less(theirs[j], id); j++ {
			s.need(theirs[j])
		}
		if j < len(theirs) && theirs[j] == id {
			j++
		} else {
			ours = true
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("recon: read range: %w", err)
	}
	for ; j < len(theirs); j++ {
		s.need(theirs[j])
	}
	if ours {
		s.addHaveRange(lo, hi, theirs)
	}
	return nil
}

// learnDiff takes the peer's answer to the list we sent for the range
// starting at lo; the answer may end early, at hi.
func (s *Session) learnDiff(set Set, lo, hi dag.TxID, r *Range, sent map[dag.TxID][]dag.TxID) error {
	list, ok := sent[lo]
	if !ok {
		return fmt.Errorf("%w: iddiff for a range we sent no list for", ErrProtocol)
	}
	if len(list) == 0 {
		// We asked for their IDs: the extra IDs are all of them.
		if len(r.Bitmap) != 0 {
			return fmt.Errorf("%w: iddiff bitmap for an empty list", ErrProtocol)
		}
		return s.learnList(set, lo, hi, r.IDs)
	}
	k := len(list)
	for k > 0 && !inRange(list[k-1], lo, hi) {
		k--
	}
	if len(r.Bitmap) != (k+7)/8 || k%8 != 0 && r.Bitmap[len(r.Bitmap)-1]>>(k%8) != 0 {
		return fmt.Errorf("%w: iddiff bitmap of %d bytes for %d listed IDs", ErrProtocol, len(r.Bitmap), k)
	}
	for i, id := range list[:k] {
		if r.Bitmap[i/8]&(1<<(i%8)) != 0 {
			s.add(&s.res.Have, id)
		}
	}
	// The extra IDs are ones we lacked when we listed; skip any we hold now.
	j := 0
	err := set.Range(lo, hi, func(id dag.TxID) bool {
		for ; j < len(r.IDs) && less(r.IDs[j], id); j++ {
			s.need(r.IDs[j])
		}
		if j < len(r.IDs) && r.IDs[j] == id {
			j++
		}
		return j < len(r.IDs)
	})
	if err != nil {
		return fmt.Errorf("recon: read range: %w", err)
	}
	for ; j < len(r.IDs); j++ {
		s.need(r.IDs[j])
	}
	return nil
}

func (s *Session) need(id dag.TxID) { s.add(&s.res.Need, id) }

func (s *Session) add(list *[]dag.TxID, id dag.TxID) {
	*list = append(*list, id)
	s.ids++
}

func (s *Session) addHaveRange(lo, hi dag.TxID, except []dag.TxID) {
	s.res.HaveRanges = append(s.res.HaveRanges, HaveRange{Lo: lo, Hi: hi, Except: except})
	s.ids += 1 + len(except)
}

// Done reports whether the session has ended.
func (s *Session) Done() bool { return s.done }

// Rounds returns the number of replies processed so far.
func (s *Session) Rounds() int { return s.rounds }

// Result returns what the session learned. Call it once Done; before that
// it returns what is known so far, with Complete false.
func (s *Session) Result() *Result {
	r := s.res
	r.normalize()
	return &r
}
