package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// netClient is the baseline of "probes -baseline": the same GETs on the
// same schedule as constat serve's checks, done by a bare net/http client
// that records, classifies and stores nothing. What serve costs above it is
// Constat's; what it costs itself is the floor of any Go checker using the
// standard client (the blackbox exporter and Gatus both do).
func netClient(args []string) error {
	fs := flag.NewFlagSet("netclient", flag.ExitOnError)
	target := fs.String("target", "", "host:port of the loopback target")
	checks := fs.Int("checks", 1000, "URLs, each fetched once per interval")
	interval := fs.Duration("interval", 30*time.Second, "fetch interval")
	keepAlive := fs.Bool("keep-alive", false, "reuse connections (as Gatus does) instead of one per fetch (as the blackbox exporter does)")
	raw := fs.Bool("raw", false, "skip net/http's client: dial (or reuse), write the request, http.ReadResponse")
	idle := fs.Bool("idle", false, "fetch nothing: only wake up on the schedule (the Go runtime's own floor)")
	tick := fs.Duration("tick", 0, "round each URL's offset down to a multiple of this, so that the fetches due in one tick share a wake-up as constat serve's do (0: spread evenly)")
	fs.Parse(args)
	if *target == "" {
		return errors.New("netclient: -target is required")
	}
	tr := &http.Transport{DisableKeepAlives: !*keepAlive, MaxIdleConnsPerHost: *checks}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Println("netclient: serving http://127.0.0.1:0/ (no HTTP side; the line tells the bench it started)")
	var wg sync.WaitGroup
	for i := range *checks {
		url := "http://" + *target + "/ent/" + strconv.Itoa(i)
		offset := time.Duration(i) * *interval / time.Duration(*checks) // spread like the scheduler
		if *tick > 0 {
			offset = offset.Truncate(*tick)
		}
		wg.Go(func() {
			var rc rawConn // this URL's connection, for -raw -keep-alive
			defer rc.close()
			tick := time.NewTimer(offset)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				tick.Reset(*interval)
				fetch := func() error { return fetchOnce(ctx, client, url) }
				switch {
				case *idle:
					fetch = func() error { return nil }
				case *raw:
					fetch = func() error { return rc.fetch(ctx, *target, "/ent/"+strconv.Itoa(i), *keepAlive) }
				}
				if err := fetch(); err != nil && ctx.Err() == nil {
					fmt.Fprintln(os.Stderr, "netclient:", err)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

func fetchOnce(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// rawConn is the least a Go checker does for a GET: dial (or reuse the
// connection, with keep-alive), write the request, http.ReadResponse, read
// the body. Its cost is the floor of any client on Go's network poller.
type rawConn struct {
	conn net.Conn
	br   *bufio.Reader
}

func (rc *rawConn) fetch(ctx context.Context, addr, path string, keepAlive bool) (err error) {
	if rc.conn == nil {
		var d net.Dialer
		if rc.conn, err = d.DialContext(ctx, "tcp", addr); err != nil {
			return err
		}
		rc.br = bufio.NewReader(rc.conn)
	}
	defer func() {
		if err != nil || !keepAlive {
			rc.close()
		}
	}()
	rc.conn.SetDeadline(time.Now().Add(5 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: constat-bench\r\n"
	if !keepAlive {
		req += "Connection: close\r\n"
	}
	if _, err := io.WriteString(rc.conn, req+"\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

func (rc *rawConn) close() {
	if rc.conn != nil {
		rc.conn.Close()
		rc.conn, rc.br = nil, nil
	}
}
