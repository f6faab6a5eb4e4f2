// Package jsonskip holds what the feed parsers' token-streaming JSON
// readers share.
package jsonskip

import (
	"encoding/json"
	"io"
)

// Value consumes the next JSON value of d without keeping it; a value cut
// short is io.ErrUnexpectedEOF.
func Value(d *json.Decoder) error {
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
