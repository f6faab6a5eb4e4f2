package format

import "io"

func readMISP(name string, r io.Reader, opt ReadOptions) (*Result, error) { return nil, errTodo }
func readXLSX(name string, r io.Reader, opt ReadOptions) (*Result, error) { return nil, errTodo }
