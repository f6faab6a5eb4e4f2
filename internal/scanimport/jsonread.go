package scanimport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jsonReader walks a JSON report with json.Decoder, one value at a time,
// so an array of thousands of results is never held whole.
type jsonReader struct {
	file string
	d    *json.Decoder
	cr   *countReader
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func newJSONReader(r io.Reader, file string) *jsonReader {
	cr := &countReader{r: r}
	return &jsonReader{file: file, d: json.NewDecoder(cr), cr: cr}
}

// errAt names the file and the byte offset the decoder has reached.
func (j *jsonReader) errAt(record string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = errors.New("the document ends early: truncated")
	}
	if record == "" {
		record = fmt.Sprintf("byte %d", j.d.InputOffset())
	} else {
		record = fmt.Sprintf("%s (byte %d)", record, j.d.InputOffset())
	}
	return fail(j.file, 0, record, "", err)
}

// token reads one token; the end of input is an error (truncated).
func (j *jsonReader) token() (json.Token, error) {
	t, err := j.d.Token()
	if err != nil {
		return nil, j.errAt("", err)
	}
	return t, nil
}

// expect reads a delimiter.
func (j *jsonReader) expect(want json.Delim) error {
	t, err := j.token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return j.errAt("", fmt.Errorf("expected %q, found %v", want, t))
	}
	return nil
}

// object calls field for each key of the object that starts next; field
// must consume the value (decode or skip it).
func (j *jsonReader) object(field func(key string) error) error {
	if err := j.expect('{'); err != nil {
		return err
	}
	for j.d.More() {
		t, err := j.token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		if err := field(key); err != nil {
			return err
		}
	}
	return j.expect('}')
}

// array calls elem for each element of the array that starts next (a
// null is an empty array).
func (j *jsonReader) array(elem func() error) error {
	t, err := j.token()
	if err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	if d, ok := t.(json.Delim); !ok || d != '[' {
		return j.errAt("", fmt.Errorf("expected a list, found %v", t))
	}
	for j.d.More() {
		if err := elem(); err != nil {
			return err
		}
	}
	return j.expect(']')
}

// skip reads past the next value.
func (j *jsonReader) skip() error {
	var raw json.RawMessage
	if err := j.d.Decode(&raw); err != nil {
		return j.errAt("", err)
	}
	return nil
}

// decode reads the next value into v, naming record on failure.
func (j *jsonReader) decode(v any, record string) error {
	if err := j.d.Decode(v); err != nil {
		return j.errAt(record, err)
	}
	return nil
}

// end checks nothing but space follows the document.
func (j *jsonReader) end() error {
	if _, err := j.d.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("more data after the report")
		}
		return j.errAt("", err)
	}
	return nil
}

// firstDelim peeks at the first non-space byte of buffered data.
func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case 0xEF: // a UTF-8 byte order mark
			continue
		}
		if c == 0xBB || c == 0xBF {
			continue
		}
		return c
	}
	return 0
}

// jsonString reads a value that may be a string or a list of strings.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var l []string
		if err := json.Unmarshal(b, &l); err != nil {
			return err
		}
		*s = l
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	if one != "" {
		*s = strings.Split(one, ",")
	}
	return nil
}

// flexFloat reads a number that may be written as a string.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	*f = flexFloat(parseScore(s))
	return nil
}

// unknownSeverity is how a vulnerability the report does not grade is
// filed: medium, so it is neither lost nor understated (the evidence says
// the report gave no grade).
const unknownSeverity = sevMedium
