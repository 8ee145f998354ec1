// Package accounts keeps Constat's admin credentials: accounts and their
// argon2id password hashes, API tokens with scopes, login sessions, and the
// login rules (Store.Login: rate limit, password, session) that every front
// end applies. It lives in a bbolt file of its own, private and rewritten in
// place, apart from the public append-only timeline, and imports no other
// Constat package: an account is not an incident, and this package's
// ErrNotFound ("no such account or token") is not incidents.ErrNotFound.
package accounts
