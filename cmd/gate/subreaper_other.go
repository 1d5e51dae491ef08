//go:build !linux

package main

import "errors"

func becomeSubreaper() error { return errors.New("a child subreaper needs Linux") }
