package format

import "io"

func readXLSX(name string, r io.Reader, opt ReadOptions) (*Result, error) { return nil, errTodo }
