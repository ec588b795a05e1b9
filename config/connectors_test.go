package config_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/config"
)

func TestConnectorsFromYAML(t *testing.T) {
	isolate(t)
	path := writeFile(t, filepath.Join(t.TempDir(), "dsr.yaml"), `
connectors:
  - name: crm
    kind: http
    owner: crm@shop.example
    remind_every: 48h
    attempts: 3
    backoff: 5s
    tenants: [shop]
    http:
      base_url: https://crm.shop.example/dsr
      secret: 0123456789abcdef0123456789abcdef
      operations: [erase]
      datasets: [{name: contacts, columns: [{name: email, category: contact}]}]
  - name: archive
    kind: manual
    owner: archive@shop.example
    instructions: cabinet 3
portability:
  controllers:
    - {name: newbank, url: https://newbank.example/import, secret: 0123456789abcdef}
`)
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.Connectors) != 2 {
		t.Fatalf("connectors: %+v", c.Connectors)
	}
	info := c.Connectors[0].Info()
	if info.Name != "crm" || info.RemindEvery != 48*time.Hour || info.Attempts != 3 || info.Backoff != 5*time.Second ||
		len(info.Tenants) != 1 || c.Connectors[0].HTTP.BaseURL != "https://crm.shop.example/dsr" {
		t.Errorf("crm: %+v %+v", info, c.Connectors[0].HTTP)
	}
	if c.Connectors[1].Instructions != "cabinet 3" || c.Portability.Controllers[0].Name != "newbank" {
		t.Errorf("archive or controller: %+v %+v", c.Connectors[1], c.Portability)
	}
}

func TestBadConnectors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"connectors:\n  - {kind: manual, owner: a@b.example}\n", "connectors[0].name"},
		{"connectors:\n  - {name: x, kind: manual}\n", "connectors[0].owner"},
		{"connectors:\n  - {name: x, kind: ftp, owner: a@b.example}\n", "connectors[0].kind"},
		{"connectors:\n  - {name: x, kind: manual, owner: a@b.example}\n  - {name: x, kind: manual, owner: a@b.example}\n", "configured twice"},
		{"connectors:\n  - {name: x, kind: sql, owner: a@b.example, sql: {driver: oracle}}\n", "connectors[0].sql"},
		{"connectors:\n  - {name: x, kind: http, owner: a@b.example, http: {base_url: ftp://x}}\n", "connectors[0].http"},
		{"portability:\n  controllers:\n    - {name: b, url: https://b.example, secret: short}\n", "portability.controllers[0].secret"},
	} {
		isolate(t)
		path := writeFile(t, filepath.Join(t.TempDir(), "dsr.yaml"), c.yaml)
		cfg, err := config.Load(path)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error naming %s", c.yaml, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "(env DSR_") {
			t.Errorf("%q: a YAML-only key's error names an environment variable: %v", c.yaml, err)
		}
	}
}
