package push

import (
	"context"
	"crypto/ecdh"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Subscription is exactly what the browser's PushSubscription.toJSON()
// gives (expirationTime is accepted and ignored).
type Subscription struct {
	Endpoint       string           `json:"endpoint"`
	ExpirationTime *float64         `json:"expirationTime,omitempty"` // ms since 1970, or null
	Keys           SubscriptionKeys `json:"keys"`
}

// SubscriptionKeys are the subscription's public key (an uncompressed
// P-256 point) and its 16-byte authentication secret, base64url.
type SubscriptionKeys struct {
	P256dh string `json:"p256dh"`
	Auth   string `json:"auth"`
}

// SubscribeRequest is the body of POST /api/v1/push/subscriptions, with the
// page language the person used ("fr" or "en"; anything else is French).
type SubscribeRequest struct {
	Subscription Subscription `json:"subscription"`
	Components   []string     `json:"components"`
	Groups       []string     `json:"groups"`
	Lang         string       `json:"lang,omitempty"`
}

// Subscribed is the answer to a subscription: its ID and the components it
// covers, groups expanded, in configuration order.
type Subscribed struct {
	ID         string   `json:"id"`
	Components []string `json:"components"`
}

// FieldError is returned when a request field is wrong; Field is its JSON
// path ("subscription.keys.p256dh"), Message says why, in English.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Errors of Subscribe and Unsubscribe that callers branch on.
var (
	// ErrFull is returned by Subscribe when the store holds
	// max_subscriptions subscriptions already.
	ErrFull = errors.New("the server takes no more subscriptions")
	// ErrNotFound is returned by Unsubscribe when no subscription has the
	// endpoint, or its auth secret differs.
	ErrNotFound = errors.New("subscription not found")
)

// MaxEndpointLen bounds a push endpoint URL: real ones are under 600 bytes.
const MaxEndpointLen = 1024

// checkSubscription validates the browser's subscription object.
func checkSubscription(s *Subscription) (*url.URL, error) {
	if s.Endpoint == "" {
		return nil, fieldErr("subscription.endpoint", "missing")
	}
	if len(s.Endpoint) > MaxEndpointLen {
		return nil, fieldErr("subscription.endpoint", "longer than %d bytes", MaxEndpointLen)
	}
	u, err := url.Parse(s.Endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, fieldErr("subscription.endpoint", "want an https:// URL without user or fragment")
	}
	if s.Keys.P256dh == "" {
		return nil, fieldErr("subscription.keys.p256dh", "missing")
	}
	if s.Keys.Auth == "" {
		return nil, fieldErr("subscription.keys.auth", "missing")
	}
	pub, err := b64(s.Keys.P256dh)
	if err == nil {
		if len(pub) != 65 || pub[0] != 4 {
			err = errors.New("not an uncompressed point")
		} else {
			_, err = ecdh.P256().NewPublicKey(pub)
		}
	}
	if err != nil {
		return nil, fieldErr("subscription.keys.p256dh", "want an uncompressed P-256 point on the curve, base64url (%v)", err)
	}
	if auth, err := b64(s.Keys.Auth); err != nil || len(auth) != 16 {
		return nil, fieldErr("subscription.keys.auth", "want 16 bytes, base64url")
	}
	return u, nil
}

// b64 decodes base64url, with or without padding (browsers omit it).
func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func subID(endpoint string) targetID {
	var id targetID
	h := sha256.Sum256([]byte("subscription\x00" + endpoint))
	copy(id[:], h[:])
	return id
}

// expand returns the components named by comps and groups, each once, in
// configuration order, or an error naming the unknown one.
func (p *Push) expand(comps, groups []string) ([]string, error) {
	if len(comps) == 0 && len(groups) == 0 {
		return nil, fieldErr("components", "give at least one component or group")
	}
	want := map[string]bool{}
	for i, c := range comps {
		if p.names[c] == "" {
			return nil, fieldErr(fmt.Sprintf("components[%d]", i), "unknown component %q", c)
		}
		want[c] = true
	}
	for i, g := range groups {
		members, ok := p.groups[g]
		if !ok {
			return nil, fieldErr(fmt.Sprintf("groups[%d]", i), "unknown group %q", g)
		}
		for _, c := range members {
			want[c] = true
		}
	}
	out := make([]string, 0, len(want))
	for _, c := range p.order {
		if want[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// Subscribe validates req, checks its endpoint against the allowed push
// services and their addresses (Guard), and stores it, replacing the
// choices of an earlier subscription with the same endpoint and auth
// secret. It returns a *FieldError for a bad field (an endpoint subscribed
// with another auth secret, or a host the Guard refuses), ErrFull at
// max_subscriptions, or an error wrapping ErrLookup when the endpoint's
// host could not be looked up now.
func (p *Push) Subscribe(ctx context.Context, req SubscribeRequest) (Subscribed, error) {
	u, err := checkSubscription(&req.Subscription)
	if err != nil {
		return Subscribed{}, err
	}
	comps, err := p.expand(req.Components, req.Groups)
	if err != nil {
		return Subscribed{}, err
	}
	if err := p.guard.CheckEndpoint(ctx, u); errors.Is(err, ErrLookup) {
		return Subscribed{}, err
	} else if err != nil {
		return Subscribed{}, &FieldError{Field: "subscription.endpoint", Message: err.Error()}
	}
	lang := "fr"
	if req.Lang == "en" {
		lang = "en"
	}
	id := subID(req.Subscription.Endpoint)
	since := p.tl.Len()
	err = p.store.db.Update(func(tx *bolt.Tx) error {
		old, err := getSub(tx, id)
		if err != nil {
			return err
		}
		if old != nil && subtle.ConstantTimeCompare([]byte(old.Auth), []byte(req.Subscription.Keys.Auth)) != 1 {
			// The auth secret is the proof of ownership DELETE asks for:
			// another one must not replace it (nor the key alerts are
			// encrypted to). A browser's subscription keeps its keys for
			// its endpoint's life; a new one has a new endpoint.
			return fieldErr("subscription.keys.auth", "this endpoint is subscribed with another auth secret")
		}
		if old == nil {
			if p.maxSubs > 0 && countSubs(tx) >= p.maxSubs {
				return ErrFull
			}
			if err := addSubs(tx, 1); err != nil {
				return err
			}
		}
		s := subscription{V: 1, Endpoint: req.Subscription.Endpoint, P256dh: req.Subscription.Keys.P256dh,
			Auth: req.Subscription.Keys.Auth, Components: comps, Lang: lang, Since: since, Created: p.now().UnixMilli()}
		if old != nil {
			s.Since, s.Created = old.Since, old.Created
			for _, c := range old.Components {
				if !slices.Contains(comps, c) {
					if err := tx.Bucket(bucketByComp).Delete(compKey(c, id)); err != nil {
						return err
					}
				}
			}
		}
		b, _ := json.Marshal(s)
		if err := tx.Bucket(bucketSubs).Put(id[:], b); err != nil {
			return err
		}
		for _, c := range comps {
			if err := tx.Bucket(bucketByComp).Put(compKey(c, id), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Subscribed{}, err
	}
	return Subscribed{ID: hex.EncodeToString(id[:]), Components: comps}, nil
}

// Unsubscribe deletes the subscription with s's endpoint, if s's auth
// secret is its own (the proof that the caller holds the subscription),
// with everything stored about it. It returns ErrNotFound otherwise.
func (p *Push) Unsubscribe(ctx context.Context, s Subscription) error {
	if s.Endpoint == "" {
		return fieldErr("subscription.endpoint", "missing")
	}
	if s.Keys.Auth == "" {
		return fieldErr("subscription.keys.auth", "missing")
	}
	id := subID(s.Endpoint)
	return p.store.db.Update(func(tx *bolt.Tx) error {
		old, err := getSub(tx, id)
		if err != nil {
			return err
		}
		if old == nil || subtle.ConstantTimeCompare([]byte(old.Auth), []byte(s.Keys.Auth)) != 1 {
			return ErrNotFound
		}
		return deleteSub(tx, id)
	})
}

// Count returns the number of subscriptions.
func (p *Push) Count() (n int, err error) {
	err = p.store.db.View(func(tx *bolt.Tx) error { n = countSubs(tx); return nil })
	return n, err
}
