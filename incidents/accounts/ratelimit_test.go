package accounts

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestLoginLimiterAccount(t *testing.T) {
	c := newAcctClock()
	l := NewLoginLimiter(c.Now)
	// Failures from ever-new addresses: only the account limit applies.
	for i := range LoginAccountFailures {
		if ok, wait := l.allow(fmt.Sprintf("192.0.2.%d", i), "alice"); !ok {
			t.Fatalf("Allow after %d failures = false, %v, want true", i, wait)
		}
		l.failure(fmt.Sprintf("192.0.2.%d", i), "alice")
		c.Advance(time.Minute)
	}
	// First failure at 0, fifth at 4 min; now is 5 min: the first leaves
	// the window at 15 min.
	if ok, wait := l.allow("198.51.100.1", "alice"); ok || wait != LoginWindow-5*time.Minute {
		t.Errorf("Allow(new address, alice) after %d failures = %v, %v, want false, %v", LoginAccountFailures, ok, wait, LoginWindow-5*time.Minute)
	}
	if ok, _ := l.allow("198.51.100.1", "bob"); !ok {
		t.Errorf("Allow(bob) = false: alice's failures block bob")
	}
	c.Advance(10*time.Minute - time.Nanosecond)
	if ok, wait := l.allow("198.51.100.1", "alice"); ok || wait != time.Nanosecond {
		t.Errorf("Allow(alice) 1 ns before the first failure expires = %v, %v, want false, 1ns", ok, wait)
	}
	c.Advance(time.Nanosecond)
	if ok, wait := l.allow("198.51.100.1", "alice"); !ok || wait != 0 {
		t.Errorf("Allow(alice) when the first failure expires = %v, %v, want true, 0", ok, wait)
	}
	// One more failure: five in the window again (minutes 1 to 4 and now).
	l.failure("198.51.100.1", "alice")
	if ok, wait := l.allow("198.51.100.1", "alice"); ok || wait != time.Minute {
		t.Errorf("Allow(alice) after a sixth failure = %v, %v, want false, 1m", ok, wait)
	}
}

func TestLoginLimiterAddress(t *testing.T) {
	tests := []struct {
		name       string
		addr, same string // same: another form of the same key
	}{
		{"IPv4", "192.0.2.7", "192.0.2.7:51234"},
		{"IPv4-mapped", "::ffff:192.0.2.7", "192.0.2.7"},
		{"IPv6 /64", "2001:db8:1:2::1", "[2001:db8:1:2:ffff::9]:443"},
		{"IPv6 zone", "fe80::1%eth0", "fe80::2"},
		{"unparsable", "unknown", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newAcctClock()
			l := NewLoginLimiter(c.Now)
			for i := range LoginAddressFailures {
				addr := tt.addr
				if i%2 == 1 {
					addr = tt.same
				}
				if ok, _ := l.allow(addr, fmt.Sprintf("user%d", i)); !ok {
					t.Fatalf("Allow(%s) after %d failures = false", addr, i)
				}
				l.failure(addr, fmt.Sprintf("user%d", i))
			}
			if ok, wait := l.allow(tt.addr, "alice"); ok || wait != LoginWindow {
				t.Errorf("Allow(%s, alice) after %d failures = %v, %v, want false, %v", tt.addr, LoginAddressFailures, ok, wait, LoginWindow)
			}
			if ok, _ := l.allow("203.0.113.1", "alice"); !ok {
				t.Errorf("Allow(another address) = false")
			}
			// A success does not clear the address.
			l.success("alice")
			if ok, _ := l.allow(tt.addr, "alice"); ok {
				t.Errorf("Allow(%s) after a success = true, want the address still blocked", tt.addr)
			}
			c.Advance(LoginWindow)
			if ok, _ := l.allow(tt.addr, "alice"); !ok {
				t.Errorf("Allow(%s) a window later = false", tt.addr)
			}
		})
	}
	if a, b := addrKey("2001:db8:1:2::1"), addrKey("2001:db8:1:3::1"); a == b {
		t.Errorf("addrKey: distinct /64s share key %q", a)
	}
}

func TestLoginLimiterSuccessResets(t *testing.T) {
	c := newAcctClock()
	l := NewLoginLimiter(c.Now)
	for range LoginAccountFailures - 1 {
		l.failure("192.0.2.1", "alice")
	}
	l.success("alice")
	for i := range LoginAccountFailures - 1 {
		l.failure("192.0.2.1", "alice")
		if ok, _ := l.allow("192.0.2.1", "alice"); !ok {
			t.Fatalf("Allow after a success and %d failures = false", i+1)
		}
	}
	l.failure("192.0.2.1", "alice")
	if ok, _ := l.allow("192.0.2.1", "alice"); ok {
		t.Errorf("Allow after a success and %d failures = true", LoginAccountFailures)
	}
}

// TestLoginLimiterBounded checks that neither map grows past
// LoginLimiterKeys, that idle keys are pruned, and that the key evicted
// first is the one whose last failure is oldest.
func TestLoginLimiterBounded(t *testing.T) {
	c := newAcctClock()
	l := NewLoginLimiter(c.Now)
	for range LoginAccountFailures {
		l.failure("198.51.100.1", "alice")
	}
	for i := range 3 * LoginLimiterKeys {
		c.Advance(time.Millisecond)
		l.failure(fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&0xff, i&0xff), fmt.Sprintf("user%d", i))
		if i == LoginLimiterKeys/2 {
			l.failure("198.51.100.1", "alice") // refreshed: outlives older keys
		}
		if _, ok := l.accounts.keys["alice"]; i == LoginLimiterKeys+10 && !ok {
			t.Errorf("alice, refreshed, evicted before keys older than her last failure")
		}
		if n, m := len(l.accounts.keys), len(l.addrs.keys); n > LoginLimiterKeys || m > LoginLimiterKeys || n != l.accounts.lru.Len() {
			t.Fatalf("after %d failures: %d accounts, %d addresses (list %d), want ≤ %d", i+1, n, m, l.accounts.lru.Len(), LoginLimiterKeys)
		}
	}
	if _, ok := l.accounts.keys["user0"]; ok {
		t.Errorf("user0, the oldest key, was not evicted")
	}
	long := string(make([]byte, 1<<20))
	l.failure(long, long)
	for k := range l.accounts.keys {
		if len(k) > maxKeyLen {
			t.Errorf("account key of %d bytes kept, want ≤ %d", len(k), maxKeyLen)
		}
	}
	c.Advance(LoginWindow)
	l.allow("192.0.2.1", "bob")
	if n, m := len(l.accounts.keys), len(l.addrs.keys); n != 0 || m != 0 {
		t.Errorf("a window after the last failure: %d accounts, %d addresses kept, want 0", n, m)
	}
}

// TestLoginLimiterConcurrent reserves attempts from many goroutines at one
// instant: exactly the limit is granted, whatever the interleaving.
func TestLoginLimiterConcurrent(t *testing.T) {
	tests := []struct {
		name  string
		key   func(g, i int) (addr, account string)
		limit int
	}{
		{"one account, many addresses", func(g, i int) (string, string) { return fmt.Sprintf("192.0.%d.%d", g, i), "alice" }, LoginAccountFailures},
		{"one address, many accounts", func(g, i int) (string, string) { return "192.0.2.1", fmt.Sprintf("user%d-%d", g, i) }, LoginAddressFailures},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLoginLimiter(newAcctClock().Now)
			var wg sync.WaitGroup
			var mu sync.Mutex
			granted := 0
			for g := range 8 {
				wg.Go(func() {
					for i := range 25 {
						if a, _ := l.Reserve(tt.key(g, i)); a != nil {
							mu.Lock()
							granted++
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			if granted != tt.limit {
				t.Errorf("Reserve granted %d of 200 concurrent attempts, want %d", granted, tt.limit)
			}
		})
	}
}

// TestAttemptSucceeded checks that a right password takes its attempt back
// from the address and clears the account, and that Cancel takes it back
// from both.
func TestAttemptSucceeded(t *testing.T) {
	l := NewLoginLimiter(newAcctClock().Now)
	for i := range LoginAddressFailures - 1 {
		l.failure("192.0.2.1", fmt.Sprintf("user%d", i))
	}
	for range 3 {
		a, wait := l.Reserve("192.0.2.1", "alice")
		if a == nil {
			t.Fatalf("Reserve(192.0.2.1, alice) = nil, %v, want an attempt", wait)
		}
		a.Succeeded()
	}
	if a, _ := l.Reserve("192.0.2.1", "bob"); a == nil {
		t.Fatalf("Reserve after successes = nil: a success counted against the address")
	} else {
		a.Cancel()
	}
	if ok, _ := l.allow("192.0.2.1", "carol"); !ok {
		t.Errorf("allow after a cancelled attempt = false: Cancel did not take it back")
	}
}

func BenchmarkLoginLimiterFull(b *testing.B) {
	c := newAcctClock()
	l := NewLoginLimiter(c.Now)
	i := 0
	for b.Loop() {
		i++
		l.failure(fmt.Sprintf("10.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff), fmt.Sprintf("user%d", i))
		l.allow("192.0.2.1", "alice")
	}
}
