//go:build !linux

package main

import "os"

var extraForwarded []os.Signal
