package sim

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTLSModes(t *testing.T) {
	tests := []struct {
		mode  TLSMode
		check func(error) bool
	}{
		{ValidTLS, func(err error) bool { return err == nil }},
		{ExpiredCert, func(err error) bool {
			var e x509.CertificateInvalidError
			return errors.As(err, &e) && e.Reason == x509.Expired
		}},
		{UnknownAuthority, func(err error) bool {
			var e x509.UnknownAuthorityError
			return errors.As(err, &e)
		}},
		{WrongHost, func(err error) bool {
			var e x509.HostnameError
			return errors.As(err, &e) && e.Host == "127.0.0.1"
		}},
	}
	c := newClient(okTimeout, false)
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			p := Start(t, Healthy, WithTLS(tt.mode))
			if !strings.HasPrefix(p.URL(), "https://127.0.0.1:") {
				t.Errorf("URL() = %s, want https://127.0.0.1:PORT/", p.URL())
			}
			_, _, err := get(t, c, p.URL())
			if !tt.check(err) {
				t.Errorf("GET %s = %v, want the %v outcome", p.URL(), err, tt.mode)
			}
		})
	}
}

func TestValidLeafNames(t *testing.T) {
	p := Start(t, Healthy, WithTLS(ValidTLS))
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: okTimeout}, "tcp", p.Addr(), &tls.Config{RootCAs: CertPool(), ServerName: name})
		if err != nil {
			t.Errorf("tls.Dial(ServerName %s) = %v", name, err)
			continue
		}
		conn.Close()
	}
}

func TestSetTLSSwitchesAtRunTime(t *testing.T) {
	p := Start(t, Healthy)
	c := newClient(okTimeout, false)
	steps := []struct {
		mode   TLSMode
		scheme string
		ok     bool
	}{{PlainHTTP, "http", true}, {ValidTLS, "https", true}, {ExpiredCert, "https", false}, {ValidTLS, "https", true}, {PlainHTTP, "http", true}}
	for i, s := range steps {
		if err := p.SetTLS(s.mode); err != nil {
			t.Fatalf("step %d: SetTLS(%v) = %v", i, s.mode, err)
		}
		if !strings.HasPrefix(p.URL(), s.scheme+"://") {
			t.Errorf("step %d: URL() = %s, want %s", i, p.URL(), s.scheme)
		}
		code, _, err := get(t, c, p.URL())
		if ok := err == nil && code == 200; ok != s.ok {
			t.Errorf("step %d (%v): GET = %d, %v; want ok %v", i, s.mode, code, err, s.ok)
		}
	}
}

func TestCA(t *testing.T) {
	block, rest := pem.Decode(CACertPEM())
	if block == nil || block.Type != "CERTIFICATE" || len(rest) != 0 {
		t.Fatalf("CACertPEM() is not one PEM certificate")
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := ca.PublicKey.(*ecdsa.PublicKey)
	if !ca.IsCA || !ok || key.Curve != elliptic.P256() {
		t.Errorf("CA: IsCA %v, key %T, want an ECDSA P-256 CA", ca.IsCA, ca.PublicKey)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := WriteCA(path); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, CACertPEM()) {
		t.Errorf("WriteCA wrote %d bytes (%v), want CACertPEM()", len(got), err)
	}
	CACertPEM()[0] = 'X' // the caller's copy
	if pem, _ := pem.Decode(CACertPEM()); pem == nil {
		t.Errorf("CACertPEM() changed after a caller modified its copy")
	}
}
