package main

import (
	"fmt"
	"os"
	"syscall"
)

// dirWatcher signals on events whenever an entry of a directory is created, moved in or
// removed. The kubelet updates a downward API volume by writing a new hidden directory and
// renaming a "..data" symlink over the old one: one IN_MOVED_TO on the volume's root.
type dirWatcher struct {
	file   *os.File
	events chan struct{}
}

func watchDir(dir string) (*dirWatcher, error) {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify_init1: %w", err)
	}
	const mask = syscall.IN_CREATE | syscall.IN_MOVED_TO | syscall.IN_DELETE | syscall.IN_CLOSE_WRITE |
		syscall.IN_DELETE_SELF | syscall.IN_MOVE_SELF
	if _, err := syscall.InotifyAddWatch(fd, dir, mask); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("inotify_add_watch %s: %w", dir, err)
	}
	// A non-blocking descriptor goes to the runtime's poller, so close unblocks the reader.
	w := &dirWatcher{file: os.NewFile(uintptr(fd), "inotify"), events: make(chan struct{}, 1)}
	go w.read()
	return w, nil
}

// read turns each batch of inotify records into one wake-up; the waiter re-reads the files,
// so the records' contents do not matter.
func (w *dirWatcher) read() {
	buf := make([]byte, 16*(syscall.SizeofInotifyEvent+syscall.NAME_MAX+1))
	for {
		if _, err := w.file.Read(buf); err != nil {
			return
		}
		select {
		case w.events <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

func (w *dirWatcher) close() { _ = w.file.Close() }
