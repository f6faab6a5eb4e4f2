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

// ReadStats counts what a reader returned and what it had to skip.
type ReadStats struct {
	Events        int64 // events returned by Next
	Skipped       int64 // records (lines, EVTX records) skipped as corrupt
	CorruptChunks int64 // EVTX chunks skipped whole
	// Errors holds the first few skip reasons (*datafile.Error), each naming
	// the position, so a user can find the bad input.
	Errors []error
}

// Skip counts one skipped record and keeps its reason if there is room.
func (s *ReadStats) Skip(err error) {
	s.Skipped++
	s.keep(err)
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
