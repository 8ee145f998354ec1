package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// runHTTP serves hs on ln until ctx ends or the listener fails on its
// own, then stops the background work (cancel), shuts hs down within
// grace and waits for wg, whose goroutines must end once cancel is
// called. started runs once hs is serving. The error is the listener's
// failure, if any, and the shutdown's.
func runHTTP(ctx context.Context, hs *http.Server, ln net.Listener, started func(), cancel context.CancelFunc, wg *sync.WaitGroup, grace time.Duration) error {
	httpErr := make(chan error, 1)
	wg.Go(func() { httpErr <- hs.Serve(ln) })
	started()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-httpErr:
	}
	cancel()
	shutCtx, done := context.WithTimeout(context.Background(), grace)
	defer done()
	shutErr := hs.Shutdown(shutCtx)
	wg.Wait()
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return errors.Join(serveErr, shutErr)
}
