//go:build !linux

package main

import "errors"

type dirWatcher struct{ events chan struct{} }

func watchDir(string) (*dirWatcher, error) { return nil, errors.New("inotify needs Linux") }

func (*dirWatcher) close() {}
