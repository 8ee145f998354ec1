// Package constat holds what the constat binary embeds from the repository
// root: the documented example configuration, used when no -config is given.
package constat

import _ "embed"

// ExampleConfig is config.example.yaml: the real endpoint list.
//
//go:embed config.example.yaml
var ExampleConfig []byte

// ExampleConfigName names ExampleConfig in error messages.
const ExampleConfigName = "config.example.yaml (embedded)"
