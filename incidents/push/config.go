package push

import (
	"bytes"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/constat-ent/constat/probes"
	"github.com/prometheus/common/config"
)

// Config is the configuration file's "push" section.
//
//	push:
//	  subject: mailto:contact@example.org  # VAPID subject (required to send)
//	  allowed_services: []                 # extra push service hosts; the defaults stay
//	  tls_config: {}                       # prometheus/common TLS config for push services
//	  max_subscriptions: 1000000
//	  start_interval: 15m                  # one outage start per component and subscriber at most
type Config struct {
	// Subject is the VAPID subject, "mailto:…" or "https://…", that push
	// services contact about abuse. Empty: nothing is sent by Web Push
	// (subscriptions are still taken and kept).
	Subject string
	// AllowedServices are push service hosts allowed besides
	// DefaultServices: host names, "*.domain" wildcards, or host:port (the
	// only way to reach a loopback address).
	AllowedServices []string
	// TLSConfig is the client TLS configuration for push services, its
	// files resolved against the configuration file's directory.
	TLSConfig config.TLSConfig
	// MaxSubscriptions caps the stored subscriptions (default 1,000,000).
	MaxSubscriptions int
	// StartInterval: at most one outage-start message per component per
	// subscriber within it (default 15m), by measured time; a start held
	// back is sent when it ends if the component is still failing then.
	StartInterval time.Duration
}

// Defaults of the push section.
const (
	DefaultMaxSubscriptions = 1_000_000
	DefaultStartInterval    = 15 * time.Minute
)

// Section returns the "push" section for probes.LoadConfig, which fills c
// when the file is valid.
func (c *Config) Section() probes.Section {
	var raw struct {
		Subject          *string          `yaml:"subject"`
		AllowedServices  []string         `yaml:"allowed_services"`
		TLSConfig        config.TLSConfig `yaml:"tls_config"`
		MaxSubscriptions *int             `yaml:"max_subscriptions"`
		StartInterval    *string          `yaml:"start_interval"`
	}
	return probes.Section{Key: "push", Raw: &raw, Compile: func(s *probes.SectionLoader) {
		*c = Config{MaxSubscriptions: DefaultMaxSubscriptions, StartInterval: DefaultStartInterval}
		if v := raw.Subject; v != nil {
			u, err := url.Parse(*v)
			if err != nil || !(u.Scheme == "mailto" && u.Opaque != "" || u.Scheme == "https" && u.Host != "") {
				s.Errorf("subject", "subject %q: want mailto:address or an https:// URL", *v)
			} else {
				c.Subject = *v
			}
		}
		for i, v := range raw.AllowedServices {
			if !validService(v) {
				s.Errorf("allowed_services["+strconv.Itoa(i)+"]", "allowed service %q: want a host name, *.domain or host:port", v)
				continue
			}
			c.AllowedServices = append(c.AllowedServices, v)
		}
		c.TLSConfig = s.TLSConfig("tls_config", raw.TLSConfig)
		if n := raw.MaxSubscriptions; n != nil {
			if *n < 1 {
				s.Errorf("max_subscriptions", "max_subscriptions must be at least 1, got %d", *n)
			} else {
				c.MaxSubscriptions = *n
			}
		}
		if d := s.Duration("start_interval", raw.StartInterval); d > 0 {
			c.StartInterval = d
		}
	}}
}

// validService reports whether v is a host name, an IP address, "*." and a
// domain, or one of those but the wildcard with a numeric port.
func validService(v string) bool {
	host := v
	if h, port, err := net.SplitHostPort(v); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return false
		}
		host = h
	} else {
		host = strings.TrimPrefix(host, "*.")
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true // an IPv6 literal has colons
	}
	return host != "" && !strings.ContainsAny(host, "/:@?#[] *")
}

// Webhook is one entry of the file's "webhooks" list: a URL that receives
// every alert as Statuspage-shaped JSON, signed with Secret.
//
//	webhooks:
//	  - url: https://newsroom.example/constat
//	    secret_file: /etc/constat/webhook.secret   # or secret:, never both
//	    components: []                             # default: every component
//	    tls_config: {}
type Webhook struct {
	URL *url.URL
	// Secret is the HMAC key: secret, or the content of secret_file (read
	// at load, a final newline removed). Never empty.
	Secret     string
	Components []string // empty: every component
	TLSConfig  config.TLSConfig
}

// Webhooks is the file's "webhooks" section.
type Webhooks []Webhook

// Section returns the "webhooks" section for probes.LoadConfig, which
// fills w when the file is valid.
func (w *Webhooks) Section() probes.Section {
	type rawWebhook struct {
		URL        string           `yaml:"url"`
		Secret     *string          `yaml:"secret"`
		SecretFile *string          `yaml:"secret_file"`
		Components []string         `yaml:"components"`
		TLSConfig  config.TLSConfig `yaml:"tls_config"`
	}
	var raw []rawWebhook
	return probes.Section{Key: "webhooks", Raw: &raw, Compile: func(s *probes.SectionLoader) {
		*w = nil
		for i, r := range raw {
			at := "[" + strconv.Itoa(i) + "]"
			h := Webhook{Components: r.Components, TLSConfig: s.TLSConfig(at+".tls_config", r.TLSConfig)}
			if r.URL == "" {
				s.Errorf(at+".url", "missing url")
			} else {
				h.URL = s.URL(at+".url", r.URL)
			}
			h.Secret = webhookSecret(s, at, r.Secret, r.SecretFile)
			for j, c := range r.Components {
				if !s.Component(c) {
					s.Errorf(at+".components["+strconv.Itoa(j)+"]", "unknown component %q", c)
				}
			}
			*w = append(*w, h)
		}
	}}
}

// webhookSecret is the secret of webhook at: secret, or secret_file's
// content without its final newline; exactly one of the two.
func webhookSecret(s *probes.SectionLoader, at string, secret, file *string) string {
	switch {
	case secret != nil && file != nil:
		s.Errorf(at+".secret_file", "give secret or secret_file, not both")
	case secret != nil && *secret == "":
		s.Errorf(at+".secret", "empty secret")
	case secret != nil:
		return *secret
	case file != nil:
		b, err := os.ReadFile(s.File(*file))
		b = bytes.TrimRight(b, "\r\n")
		switch {
		case err != nil:
			s.Errorf(at+".secret_file", "%v", err)
		case len(b) == 0:
			s.Errorf(at+".secret_file", "%s is empty", *file)
		}
		return string(b)
	default:
		s.Errorf(at, "missing secret or secret_file: webhooks are signed")
	}
	return ""
}
