package detect

// Reader yields events one at a time. Next fills ev (after ev.Reset) and
// returns io.EOF after the last event. A record that cannot be decoded is
// counted in Stats and skipped, so Next returns an error other than io.EOF
// only when the input cannot be read any further (an I/O error, a file that
// is not of the format at all). Readers reuse ev.Fields between calls.
type Reader interface {
	Next(ev *Event) error
}

// StatsReporter is implemented by readers that skip bad input instead of
// failing, so a caller can report how much of a file was usable.
type StatsReporter interface {
	Stats() ReadStats
}

// maxKeptErrors bounds ReadStats.Errors: a file of garbage must not make
// the reader hold one error per line.
const maxKeptErrors = 16

// maxDamaged bounds ReadStats.Damaged; past it the damage is still
// counted (DamagedParts).
const maxDamaged = 1024

// ReadStats counts what a reader returned and what it had to skip.
type ReadStats struct {
	Events        int64 // events returned by Next
	Skipped       int64 // records (lines, EVTX records) lost: skipped as corrupt or missing
	CorruptChunks int64 // EVTX chunks skipped whole
	// Errors holds the first few skip reasons (*datafile.Error), each naming
	// the position, so a user can find the bad input.
	Errors []error
	// Damaged names each part of the input that failed an integrity check
	// and was read anyway (an EVTX file header or chunk whose checksum is
	// wrong: file, chunk, offset); events read from a damaged chunk carry
	// Event.Damage. DamagedParts counts them all, Damaged keeps the first
	// 1,024.
	Damaged      []error
	DamagedParts int64
}

// Skip counts one skipped record and keeps its reason if there is room.
func (s *ReadStats) Skip(err error) {
	s.Skipped++
	s.keep(err)
}

// Lost counts n records lost in one place (a damaged area hiding several
// records) and keeps the reason if there is room.
func (s *ReadStats) Lost(n int64, err error) {
	s.Skipped += n
	s.keep(err)
}

// Note keeps a reason without counting a record: the records it cost are
// counted where their number is known.
func (s *ReadStats) Note(err error) { s.keep(err) }

// Damage records a part of the input read despite failing an integrity
// check.
func (s *ReadStats) Damage(err error) {
	s.DamagedParts++
	if len(s.Damaged) < maxDamaged {
		s.Damaged = append(s.Damaged, err)
	}
}

// SkipChunk counts one skipped EVTX chunk.
func (s *ReadStats) SkipChunk(err error) {
	s.CorruptChunks++
	s.keep(err)
}

func (s *ReadStats) keep(err error) {
	if err != nil && len(s.Errors) < maxKeptErrors {
		s.Errors = append(s.Errors, err)
	}
}
