package sim

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"sync"
	"time"
)

// authority is the sim CA, an untrusted CA and one leaf per TLSMode. It is
// generated once per process (simAuthority) and never modified afterwards.
type authority struct {
	caPEM  []byte
	pool   *x509.CertPool
	leaves [numTLSModes]*tls.Certificate // PlainHTTP's is nil
}

var (
	authorityOnce sync.Once
	authorityVal  *authority
	authorityErr  error
)

// simAuthority returns the process's sim CA and leaves, generating them on
// first use. Generation only fails if crypto/rand or crypto/x509 is broken,
// so it panics rather than make every caller handle an impossible error.
func simAuthority() *authority {
	authorityOnce.Do(func() { authorityVal, authorityErr = newAuthority(time.Now()) })
	if authorityErr != nil {
		panic("sim: generate test certificates: " + authorityErr.Error())
	}
	return authorityVal
}

// CACertPEM returns the sim CA's certificate, PEM-encoded. The CA is an ECDSA
// P-256 key generated once per process; its private key never leaves memory.
// The slice is the caller's.
func CACertPEM() []byte { return bytes.Clone(simAuthority().caPEM) }

// WriteCA writes CACertPEM to path (mode 0644), for a client outside the
// process (curl --cacert, a browser, constat's own tls_config.ca_file).
func WriteCA(path string) error {
	if err := os.WriteFile(path, CACertPEM(), 0o644); err != nil {
		return fmt.Errorf("write sim CA: %w", err)
	}
	return nil
}

// CertPool returns a new pool holding only the sim CA: trusting it makes
// ValidTLS verify, and ExpiredCert, UnknownAuthority and WrongHost fail for
// their own reason. The pool is the caller's.
func CertPool() *x509.CertPool { return simAuthority().pool.Clone() }

var loopbackIPs = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}

func newAuthority(now time.Time) (*authority, error) {
	ca, caKey, err := newCA("Constat sim CA", now)
	if err != nil {
		return nil, err
	}
	other, otherKey, err := newCA("Constat sim untrusted CA", now)
	if err != nil {
		return nil, err
	}
	a := &authority{
		caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}),
		pool:  x509.NewCertPool(),
	}
	a.pool.AddCert(ca)
	leaves := []struct {
		mode      TLSMode
		parent    *x509.Certificate
		parentKey crypto.Signer
		from, to  time.Time
		dnsNames  []string
		ips       []net.IP
	}{
		{ValidTLS, ca, caKey, now.Add(-time.Hour), now.AddDate(0, 0, 397), []string{"localhost"}, loopbackIPs},
		{ExpiredCert, ca, caKey, now.AddDate(0, 0, -30), now.AddDate(0, 0, -1), []string{"localhost"}, loopbackIPs},
		{UnknownAuthority, other, otherKey, now.Add(-time.Hour), now.AddDate(0, 0, 397), []string{"localhost"}, loopbackIPs},
		{WrongHost, ca, caKey, now.Add(-time.Hour), now.AddDate(0, 0, 397), []string{"wrong.example"}, nil},
	}
	for _, l := range leaves {
		tmpl := &x509.Certificate{
			Subject:     pkix.Name{CommonName: l.dnsNames[0]},
			NotBefore:   l.from,
			NotAfter:    l.to,
			DNSNames:    l.dnsNames,
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			IPAddresses: l.ips,
		}
		cert, err := newLeaf(tmpl, l.parent, l.parentKey)
		if err != nil {
			return nil, fmt.Errorf("%v leaf: %w", l.mode, err)
		}
		a.leaves[l.mode] = cert
	}
	return a, nil
}

func newCA(name string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("%s key: %w", name, err)
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Constat"}},
		NotBefore:             now.AddDate(0, 0, -60),
		NotAfter:              now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	if tmpl.SerialNumber, err = serial(); err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return cert, key, nil
}

func newLeaf(tmpl, parent *x509.Certificate, parentKey crypto.Signer) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	if tmpl.SerialNumber, err = serial(); err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

func serial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	return n, nil
}

// tlsConfig returns the server configuration of p: HTTP/1.1 only (so that
// Reset can hijack the connection), the leaf chosen at each handshake from
// p's current TLSMode.
func (p *Portal) tlsConfig() *tls.Config {
	a := simAuthority()
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			if c := a.leaves[p.TLS()]; c != nil {
				return c, nil
			}
			return a.leaves[ValidTLS], nil // switched to PlainHTTP mid-handshake
		},
	}
}
