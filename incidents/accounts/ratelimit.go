package accounts

import (
	"container/list"
	"net/netip"
	"sync"
	"time"
)

// Login limits. A login is refused while its account has had
// LoginAccountFailures failed attempts, or its address LoginAddressFailures,
// within the last LoginWindow (a sliding window: each failure counts for
// exactly LoginWindow).
//
// The account limit stops slow guessing from many addresses; its price is
// that anyone can lock an admin out of the web login for 15 minutes by
// failing 5 times (API tokens keep working). The address limit stops one
// address from trying many accounts.
const (
	LoginAccountFailures = 5
	LoginAddressFailures = 20
	LoginWindow          = 15 * time.Minute
	// LoginLimiterKeys is how many accounts, and how many addresses, a
	// LoginLimiter tracks at most. Past it, the key whose last failure is
	// oldest is forgotten: memory stays bounded (a few MiB) whatever an
	// attacker sends, at the cost of forgetting the failures of the
	// quietest keys while under such an attack.
	LoginLimiterKeys = 10_000
	// maxKeyLen bounds the bytes kept of an account name or address: longer
	// than any valid name (64) or address, so distinct valid keys stay distinct.
	maxKeyLen = 65
)

// LoginLimiter counts failed logins per account and per address, in memory
// (a restart forgets them). It is safe for concurrent use.
//
// Store.Login uses it: Reserve counts the attempt as a failure before the
// password is hashed, and Attempt.Succeeded takes it back when the password
// was right. Logins checked at the same time thus never exceed a limit:
// with 100 concurrent wrong passwords for one account, at most
// LoginAccountFailures are hashed.
type LoginLimiter struct {
	now func() time.Time

	mu       sync.Mutex
	accounts failureSet
	addrs    failureSet
}

// NewLoginLimiter returns a limiter reading the time from now (nil:
// time.Now).
func NewLoginLimiter(now func() time.Time) *LoginLimiter {
	if now == nil {
		now = time.Now
	}
	return &LoginLimiter{
		now:      now,
		accounts: newFailureSet(LoginAccountFailures, LoginLimiterKeys),
		addrs:    newFailureSet(LoginAddressFailures, LoginLimiterKeys),
	}
}

// Attempt is a login attempt Reserve let through. It already counts as a
// failure; call Succeeded if the password was right.
type Attempt struct {
	l             *LoginLimiter
	addr, account string
	at            time.Time
}

// Reserve lets a login to account from addr be tried now, counting it as a
// failure at once, or refuses it and says how long until it may be tried.
// addr is the client's IP address (a port, if any, is ignored); IPv6
// addresses count per /64, the block a single host usually holds.
func (l *LoginLimiter) Reserve(addr, account string) (_ *Attempt, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if wait := l.retryAfter(addr, account, now); wait > 0 {
		return nil, wait
	}
	l.addFailure(addr, account, now)
	return &Attempt{l: l, addr: addr, account: account, at: now}, 0
}

// Succeeded records that the attempt's password was right: the account's
// failures are forgotten, and the attempt no longer counts against the
// address. The address's other failures stay, or an attacker holding one
// account could clear its address's count between guesses at others.
func (a *Attempt) Succeeded() {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	a.l.accounts.forget(accountKey(a.account))
	a.l.addrs.take(addrKey(a.addr), a.at)
}

// Cancel takes the attempt back when it was not decided (Constat's own
// fault): it counts neither as a failure nor as a success.
func (a *Attempt) Cancel() {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	a.l.accounts.take(accountKey(a.account), a.at)
	a.l.addrs.take(addrKey(a.addr), a.at)
}

// allow reports whether a login may be tried now without reserving it,
// for tests.
func (l *LoginLimiter) allow(addr, account string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	retryAfter = l.retryAfter(addr, account, now)
	return retryAfter == 0, retryAfter
}

// failure records a failed login to account from addr.
func (l *LoginLimiter) failure(addr, account string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addFailure(addr, account, now)
}

// success records a successful login without a reservation, for tests.
func (l *LoginLimiter) success(account string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.accounts.forget(accountKey(account))
}

// retryAfter prunes both sets and returns how long until a login may be
// tried. The caller holds l.mu.
func (l *LoginLimiter) retryAfter(addr, account string, now time.Time) time.Duration {
	l.accounts.prune(now)
	l.addrs.prune(now)
	return max(l.accounts.retryAfter(accountKey(account), now), l.addrs.retryAfter(addrKey(addr), now))
}

// addFailure counts a failure of both keys. The caller holds l.mu.
func (l *LoginLimiter) addFailure(addr, account string, now time.Time) {
	l.accounts.prune(now)
	l.addrs.prune(now)
	l.accounts.add(accountKey(account), now)
	l.addrs.add(addrKey(addr), now)
}

func accountKey(account string) string { return account[:min(len(account), maxKeyLen)] }

// addrKey returns the key of addr: the IP address without port, IPv4-mapped
// addresses as IPv4, IPv6 as its /64. An unparsable addr is its own key.
func addrKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return accountKey(addr)
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}

// failureSet keeps the recent failures of up to maxKeys keys, in a list
// ordered by last failure (front: most recent), so that pruning and
// eviction start from the back.
type failureSet struct {
	limit   int // failures that block
	maxKeys int
	keys    map[string]*list.Element // value *failures
	lru     list.List
}

type failures struct {
	key   string
	times []time.Time // oldest first; at most limit
}

func newFailureSet(limit, maxKeys int) failureSet {
	return failureSet{limit: limit, maxKeys: maxKeys, keys: make(map[string]*list.Element)}
}

// prune forgets the keys whose last failure is older than LoginWindow.
func (s *failureSet) prune(now time.Time) {
	for e := s.lru.Back(); e != nil; e = s.lru.Back() {
		f := e.Value.(*failures)
		if now.Sub(f.times[len(f.times)-1]) < LoginWindow {
			return
		}
		s.remove(e)
	}
}

// retryAfter returns how long until key has fewer than limit failures in
// the window, 0 if it has already.
func (s *failureSet) retryAfter(key string, now time.Time) time.Duration {
	e, ok := s.keys[key]
	if !ok {
		return 0
	}
	f := e.Value.(*failures)
	if len(f.times) < s.limit {
		return 0
	}
	// times holds the last limit failures: the oldest leaves the window first.
	return max(f.times[0].Add(LoginWindow).Sub(now), 0)
}

func (s *failureSet) add(key string, now time.Time) {
	if e, ok := s.keys[key]; ok {
		f := e.Value.(*failures)
		if len(f.times) == s.limit {
			f.times = append(f.times[:0], f.times[1:]...)
		}
		f.times = append(f.times, now)
		s.lru.MoveToFront(e)
		return
	}
	if len(s.keys) >= s.maxKeys {
		s.remove(s.lru.Back())
	}
	f := &failures{key: key, times: make([]time.Time, 1, s.limit)}
	f.times[0] = now
	s.keys[key] = s.lru.PushFront(f)
}

// take removes one failure of key at time at, if it is still counted.
func (s *failureSet) take(key string, at time.Time) {
	e, ok := s.keys[key]
	if !ok {
		return
	}
	f := e.Value.(*failures)
	for i, t := range f.times {
		if t.Equal(at) {
			f.times = append(f.times[:i], f.times[i+1:]...)
			break
		}
	}
	if len(f.times) == 0 {
		s.remove(e)
	}
}

func (s *failureSet) forget(key string) {
	if e, ok := s.keys[key]; ok {
		s.remove(e)
	}
}

func (s *failureSet) remove(e *list.Element) {
	delete(s.keys, e.Value.(*failures).key)
	s.lru.Remove(e)
}
