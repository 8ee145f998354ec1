package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/constat-ent/constat"
	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/push"
	"github.com/constat-ent/constat/incidents/timeline/evidence"
	"github.com/constat-ent/constat/probes"
	"github.com/constat-ent/constat/ui"
)

// config is the whole configuration file: the probes' part (groups,
// components, defaults) and the top-level sections other packages own,
// each read and validated by its package (probes.Section). To add a
// section, give it a field here and list its Section in sections.
type config struct {
	*probes.Config
	incidents    incidents.Config            // incidents:
	site         ui.Site                     // site:
	push         push.Config                 // push:
	webhooks     push.Webhooks               // webhooks:
	connectivity probes.ConnectivitySettings // connectivity:
	evidence     evidence.Settings           // evidence:
}

func (c *config) sections() []probes.Section {
	return []probes.Section{c.incidents.Section(), c.site.Section(), c.push.Section(), c.webhooks.Section(), c.connectivity.Section(), c.evidence.Section()}
}

// loadConfig reads path, or the embedded example when path is empty.
func loadConfig(path string) (*config, error) {
	c := &config{}
	var err error
	if path == "" {
		c.Config, err = probes.ParseConfig(constat.ExampleConfigName, constat.ExampleConfig, c.sections()...)
	} else {
		c.Config, err = probes.LoadConfig(path, c.sections()...)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// printConfigError prints what loadConfig returned for command cmd: the
// configuration's own errors as they are ("config.yaml:42: groups[3]…: …",
// as compilers print theirs), anything else (the file cannot be read)
// after "constat cmd:", as every other error of the command.
func printConfigError(w io.Writer, cmd string, err error) {
	if _, ok := errors.AsType[*probes.ConfigError](err); ok {
		fmt.Fprintln(w, err)
		return
	}
	fmt.Fprintf(w, "constat %s: %v\n", cmd, err)
}
