package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	bolt "go.etcd.io/bbolt"
)

// Sending parameters.
const (
	laneBatch      = 4096                 // deliveries a lane reads per read transaction
	gatherDelay    = 5 * time.Millisecond // a commit waits this long for more results
	sendTimeout    = 30 * time.Second     // a push service or webhook must answer within it
	backoffBase    = time.Second
	backoffMax     = 5 * time.Minute
	retryAfterMax  = time.Hour
	maxBodyDrained = 4 << 10
)

// lane sends the deliveries of one push service (one endpoint host) or one
// webhook, in outbox order. Each lane has its own keep-alive connections
// and its own backoff, so that a throttled service never stalls another.
type lane struct {
	name    string
	service string   // bounded metrics label: the allowed entry, or "webhook"
	hook    *webhook // nil for a push service
	client  *http.Client
	kick    chan struct{} // capacity 1: "the outbox has new deliveries"
	fails   int           // consecutive retried batches, for the backoff
}

func (p *Push) newLane(name string) (*lane, error) {
	l := &lane{name: name, kick: make(chan struct{}, 1), service: p.guard.serviceOf(name)}
	if strings.HasPrefix(name, hookLanePrefix) {
		for _, w := range p.webhooks {
			if w.lane == name {
				l.hook, l.service = w, "webhook"
			}
		}
		if l.hook == nil {
			return l, nil // a webhook gone from the config: its deliveries expire
		}
		l.client = l.hook.newClient()
		return l, nil
	}
	tr := &http.Transport{
		DialContext:           p.guard.DialContext,
		TLSClientConfig:       p.tls.Clone(),
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   p.workers,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: sendTimeout,
	}
	l.client = &http.Client{Transport: tr, Timeout: sendTimeout, CheckRedirect: noRedirect}
	return l, nil
}

// noRedirect makes a 3xx the answer: a push service never redirects, and
// following would let a subscriber's endpoint send Constat elsewhere.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// delivery is a pending delivery with what sending it needs.
type delivery struct {
	key []byte
	id  targetID
	r   ref
	sub *subscription // nil for a webhook, or when the subscription is gone
	msg *message      // nil when the message is gone (expired)
}

// result is what became of a delivery.
type result struct {
	d          delivery
	outcome    string        // sent, retried, failed, expired, gone
	retryAfter time.Duration // retried: the Retry-After asked, 0 if none
	err        error
	launched   bool // it was sent, and holds a slot until committed
}

func (p *Push) runLane(ctx context.Context, l *lane) {
	for {
		batch, err := p.pending(l.name, laneBatch)
		if err != nil {
			p.log.Error("push outbox unreadable", "lane", l.name, "err", err)
		}
		if len(batch) == 0 || err != nil {
			select {
			case <-ctx.Done():
				return
			case <-l.kick:
				continue
			}
		}
		wait := p.sendBatch(ctx, l, batch)
		if ctx.Err() != nil {
			return
		}
		if wait > 0 {
			p.metrics.backoff.WithLabelValues(l.service).Set(wait.Seconds())
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			p.metrics.backoff.WithLabelValues(l.service).Set(0)
		}
	}
}

// pending reads up to n deliveries of lane in outbox order.
func (p *Push) pending(lane string, n int) ([]delivery, error) {
	var out []delivery
	prefix := append([]byte(lane), 0)
	err := p.store.db.View(func(tx *bolt.Tx) error {
		msgs := map[ref]*message{}
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, _ := c.Seek(prefix); k != nil && len(out) < n && strings.HasPrefix(string(k), string(prefix)); k, _ = c.Next() {
			_, r, id, err := parseOutboxKey(k)
			if err != nil {
				return err
			}
			d := delivery{key: append([]byte(nil), k...), id: id, r: r}
			m, ok := msgs[r]
			if !ok {
				if v := tx.Bucket(bucketMessages).Get(r.append(nil)); v != nil {
					m = &message{}
					if json.Unmarshal(v, m) != nil || m.V != 1 {
						m = nil
					}
				}
				msgs[r] = m
			}
			d.msg = m
			if r.variant != variantWebhook {
				if d.sub, err = getSub(tx, id); err != nil {
					d.sub = nil // a damaged subscription: dropped as gone
				}
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// sendBatch sends batch, stopping at the first answer that asks to slow
// down, and returns how long the lane must wait. A send holds one of
// p.workers slots until its result is committed, so that at most p.workers
// deliveries are ever sent and not yet removed: what a crash repeats.
// Results are committed by one goroutine while sends go on, each commit
// taking every result that arrived during the previous one: one fsync per
// result when few arrive, a few hundred per fsync in a fan-out.
func (p *Push) sendBatch(ctx context.Context, l *lane, batch []delivery) time.Duration {
	results := make(chan result, len(batch))
	sem := make(chan struct{}, p.workers)
	var wg sync.WaitGroup
	wg.Go(func() { p.launch(ctx, l, batch, sem, results, &wg) })
	go func() { wg.Wait(); close(results) }()
	commits := make(chan []result) // unbuffered: handed over only to an idle committer
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		for done := range commits {
			p.commit(done)
			for _, res := range done {
				if res.launched {
					<-sem
				}
			}
		}
	}()
	var wait time.Duration
	var done []result
	retried := false
	// A commit waits up to gatherDelay for more results, or a quarter of
	// the slots' worth: fsync latency on a busy disk varies from 1 to 200
	// ms, and a commit of one result would then hold the others' slots.
	var gather <-chan time.Time
	for results != nil || len(done) > 0 {
		select {
		case res, ok := <-results:
			if !ok {
				results = nil
				if len(done) > 0 {
					commits <- done
					done = nil
				}
				continue
			}
			p.metrics.deliveries.WithLabelValues(channelOf(res.d), res.outcome).Inc()
			if res.outcome == "retried" {
				retried, wait = true, max(wait, res.retryAfter)
				p.log.Warn("push delivery to retry", "lane", l.name, "err", res.err)
				<-sem // nothing to commit: it stays in the outbox
				continue
			}
			done = append(done, res)
			if len(done) == 1 && gather == nil {
				gather = time.After(gatherDelay)
			}
			if len(done) < max(1, p.workers/4) {
				continue
			}
		case <-gather:
		}
		select {
		case commits <- done:
			done, gather = nil, nil
		default: // the committer is busy: the next commit takes these too
		}
	}
	if len(done) > 0 {
		commits <- done // the last results: wait for the committer
	}
	close(commits)
	<-committed
	if !retried {
		l.fails = 0
		return 0
	}
	l.fails++
	if wait > 0 {
		return min(wait, retryAfterMax)
	}
	d := min(backoffMax, backoffBase<<min(l.fails-1, 16))
	return d/2 + rand.N(d/2+1) // jitter: half fixed, half random
}

// launch starts the sends of batch, each in a slot of sem, until the batch
// ends, a send is to be retried, or ctx is done; results get every outcome.
func (p *Push) launch(ctx context.Context, l *lane, batch []delivery, sem chan struct{}, results chan<- result, wg *sync.WaitGroup) {
	var stop sync.Once
	stopped := make(chan struct{})
	now := p.now()
	busy := map[targetID]bool{} // a target gets its messages one after the other, in order
	for _, d := range batch {
		if busy[d.id] {
			return // the rest waits for the next batch
		}
		busy[d.id] = true
		switch {
		case d.msg == nil || d.msg.expired(now):
			results <- result{d: d, outcome: "expired"}
			continue
		case d.sub == nil && d.r.variant != variantWebhook, d.r.variant == variantWebhook && l.hook == nil:
			results <- result{d: d, outcome: "gone"}
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-stopped:
			return
		case <-ctx.Done():
			return
		}
		wg.Go(func() {
			res := p.send(ctx, l, d)
			res.launched = true
			if res.outcome == "retried" {
				stop.Do(func() { close(stopped) })
			}
			results <- res
		})
	}
}

func channelOf(d delivery) string {
	if d.r.variant == variantWebhook {
		return "webhook"
	}
	return "webpush"
}

// commit removes the finished deliveries, and the subscriptions the push
// service said are gone, in one transaction. A failure is logged: those
// deliveries are sent again, as after a crash.
func (p *Push) commit(done []result) {
	if len(done) == 0 {
		return
	}
	err := p.store.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		removed := 0
		for _, res := range done {
			if b.Get(res.d.key) != nil {
				if err := b.Delete(res.d.key); err != nil {
					return err
				}
				removed++
			}
			if res.outcome == "gone" && res.d.sub != nil {
				if err := deleteSub(tx, res.d.id); err != nil {
					return err
				}
			}
		}
		return addOutboxDepth(tx, -removed)
	})
	if err != nil {
		p.log.Error("push outbox not updated", "deliveries", len(done), "err", err)
	}
}

// send makes one delivery and classifies the answer.
func (p *Push) send(ctx context.Context, l *lane, d delivery) result {
	var resp *http.Response
	var err error
	if l.hook != nil {
		resp, err = l.hook.post(ctx, l.client, d.msg.Payload, p.now())
	} else {
		resp, err = p.sendPush(ctx, l, d)
	}
	if err != nil {
		if errors.Is(err, ErrForbiddenHost) {
			p.log.Warn("push endpoint refused at send time", "service", l.service, "err", err)
			return result{d: d, outcome: "failed", err: err}
		}
		return result{d: d, outcome: "retried", err: err}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyDrained))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return result{d: d, outcome: "sent"}
	case l.hook == nil && (c == http.StatusNotFound || c == http.StatusGone):
		return result{d: d, outcome: "gone"}
	case l.hook != nil || c == http.StatusTooManyRequests || c >= 500:
		if c == http.StatusTooManyRequests {
			p.metrics.throttled.WithLabelValues(l.service).Inc()
		}
		return result{d: d, outcome: "retried", retryAfter: retryAfter(resp.Header.Get("Retry-After"), p.now()),
			err: fmt.Errorf("status %d", c)}
	default: // 3xx, 400, 401, 403, 413: sending again would get the same
		p.log.Warn("push delivery refused", "service", l.service, "status", c)
		return result{d: d, outcome: "failed"}
	}
}

// sendPush encrypts and sends a Web Push message with webpush-go (RFC 8291
// aes128gcm, RFC 8292 VAPID), with RFC 8030's TTL (what is left of the
// message's), Topic and Urgency.
func (p *Push) sendPush(ctx context.Context, l *lane, d delivery) (*http.Response, error) {
	ttl := int((d.msg.Created+int64(d.msg.TTL)*1000-p.now().UnixMilli())/1000) + 1
	sub := &webpush.Subscription{Endpoint: d.sub.Endpoint, Keys: webpush.Keys{Auth: d.sub.Auth, P256dh: d.sub.P256dh}}
	// webpush-go (v1.4.0) derives the VAPID public point and signs a new
	// JWT on every call, before it calls HTTPClient.Do: a RoundTripper
	// could swap in a cached Authorization header, but not save that work,
	// so the JWT is left to it (the fan-out profile's top entry).
	//
	// webpush-go appends its padding to the slice it is given: hand it one
	// without spare capacity, or concurrent sends of one message would
	// write into the shared payload.
	return webpush.SendNotificationWithContext(ctx, slices.Clip(d.msg.Payload), sub, &webpush.Options{
		HTTPClient: l.client,
		// webpush-go prefixes "mailto:" itself unless the subject is https.
		Subscriber:      strings.TrimPrefix(p.subject, "mailto:"),
		Topic:           d.msg.Topic,
		TTL:             min(ttl, d.msg.TTL),
		Urgency:         webpush.Urgency(d.msg.Urgency),
		VAPIDPublicKey:  p.keys.Public,
		VAPIDPrivateKey: p.keys.Private,
	})
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
