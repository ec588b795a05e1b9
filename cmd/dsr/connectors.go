package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/config"
	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/connector/httpapi"
	"github.com/dsrflow/dsrflow/connector/sqldb"
	"github.com/dsrflow/dsrflow/examples/shop"
	"github.com/dsrflow/dsrflow/export"
)

// connectors opens the configured data systems. The returned closer closes
// the databases it opened.
func (e *engine) connectors() (*connector.Registry, io.Closer, error) {
	reg := &connector.Registry{}
	var dbs closers
	for i, cc := range e.cfg.Connectors {
		var c connector.Connector
		switch cc.Kind {
		case connector.KindSQL:
			db, err := sqldb.New(cc.Name, cc.SQL)
			if err != nil {
				dbs.Close()
				return nil, nil, &config.FieldError{Key: fmt.Sprintf("connectors[%d].sql", i), Reason: err.Error()}
			}
			dbs = append(dbs, db)
			c = db
		case connector.KindHTTP:
			h, err := httpapi.New(cc.Name, cc.HTTP,
				httpapi.WithCallbacks(httpapi.CallbackWaiter{Store: e.store, Every: time.Second}),
				httpapi.WithCallbackBase(e.publicURL()))
			if err != nil {
				dbs.Close()
				return nil, nil, &config.FieldError{Key: fmt.Sprintf("connectors[%d].http", i), Reason: err.Error()}
			}
			c = h
		}
		if err := reg.Add(cc.Info(), c); err != nil {
			dbs.Close()
			return nil, nil, &config.FieldError{Key: fmt.Sprintf("connectors[%d]", i), Reason: err.Error()}
		}
	}
	return reg, dbs, nil
}

// callbackSecrets are the secrets HTTP connectors sign their callbacks with.
func (e *engine) callbackSecrets() map[string][]byte {
	out := map[string][]byte{}
	for _, cc := range e.cfg.Connectors {
		if cc.Kind == connector.KindHTTP {
			out[cc.Name] = []byte(cc.HTTP.Secret)
		}
	}
	return out
}

// publicURL is the API's address as requesters and data systems reach it.
func (e *engine) publicURL() string {
	if e.cfg.Exports.PublicURL != "" {
		return e.cfg.Exports.PublicURL
	}
	return "http://" + e.cfg.HTTP.Addr
}

type closers []io.Closer

func (cs closers) Close() error {
	for _, c := range cs {
		if err := c.Close(); err != nil {
			slog.Warn("close connector", "error", err)
		}
	}
	return nil
}

// addExampleShop loads the example shop into a SQLite file in the data dir
// and makes it tenant shop's connector, so a newcomer can open a deletion
// request and watch its rows go.
func addExampleShop(ctx context.Context, cfg *config.Config) error {
	path := filepath.Join(cfg.DataDir, "shop.db")
	sc, err := shop.Config(path, "sqlite")
	if err != nil {
		return err
	}
	db, err := gorm.Open(sqlite.Open(path), &gorm.Config{Logger: gormlogger.Discard})
	if err != nil {
		return fmt.Errorf("open example shop %s: %w", path, err)
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	if err := shop.Load(ctx, db); err != nil {
		return fmt.Errorf("load example shop into %s: %w", path, err)
	}
	cfg.Connectors = append(cfg.Connectors, config.Connector{Name: shop.Name, Kind: connector.KindSQL,
		Owner: cfg.SMTP.From, Tenants: []string{"shop"}, SQL: sc,
		Attempts: 3, Backoff: 2 * time.Second})
	return nil
}

// exports opens the sealed store of export packages and the link signer.
// The signing key derives from the first encryption key, so links need no
// secret of their own; rotating that key ends the links issued before.
func (e *engine) exports() (*activities.Exports, error) {
	keys, err := e.cfg.Encryption.Parse()
	if err != nil || len(keys) == 0 {
		return nil, &config.FieldError{Key: "encryption.keys", Reason: "required to seal exports"}
	}
	ek := make([]export.Key, len(keys))
	for i, k := range keys {
		ek[i] = export.Key{ID: k.ID, Secret: k.Bytes}
	}
	dir := e.cfg.Exports.Dir
	if dir == "" {
		dir = filepath.Join(e.cfg.DataDir, "exports")
	}
	st, err := export.NewDir(dir, ek)
	if err != nil {
		return nil, &config.FieldError{Key: "exports.dir", Reason: err.Error()}
	}
	mac := hmac.New(sha256.New, keys[0].Bytes)
	mac.Write([]byte("dsrflow export links"))
	out := &activities.Exports{Store: st, Links: &export.Signer{Key: mac.Sum(nil)}, PublicURL: strings.TrimRight(e.publicURL(), "/"),
		Controllers: map[string]export.Destination{}}
	for _, c := range e.cfg.Portability.Controllers {
		out.Controllers[c.Name] = export.Destination{URL: c.URL, Secret: []byte(c.Secret), AllowHTTP: strings.HasPrefix(c.URL, "http://")}
	}
	return out, nil
}
