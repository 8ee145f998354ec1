package incidents

import "sync/atomic"

// notifier calls the function set by Pipeline.OnPublish, if any. It is safe
// for concurrent use; the zero value calls nothing.
type notifier struct{ f atomic.Pointer[func()] }

func (n *notifier) set(f func()) { n.f.Store(&f) }

func (n *notifier) notify() {
	if f := n.f.Load(); f != nil && *f != nil {
		(*f)()
	}
}
