package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/export"
	"github.com/dsrflow/dsrflow/request"
)

// Exports is what access and portability need: where packages are kept,
// how their links are signed, and the controllers data may be sent to.
type Exports struct {
	Store export.Store
	Links *export.Signer
	// PublicURL starts every download link.
	PublicURL string
	// Controllers are the receiving controllers of direct transfers, by
	// name.
	Controllers map[string]export.Destination
	Client      *http.Client
}

// CollectInput copies the subject's rows from one connector into a part of
// the export ExportID.
type CollectInput struct {
	ConnectorCall
	ExportID string `json:"export_id"`
}

// Collected is what one connector gave.
type Collected struct {
	Datasets int   `json:"datasets"`
	Rows     int64 `json:"rows"`
}

func partKey(exportID, conn string) string { return "parts/" + exportID + "/" + conn + ".part" }

// Collect streams one connector's rows into a part in the export store. A
// retry writes the part afresh; only a complete part is ever visible.
func (a *Activities) Collect(ctx context.Context, in CollectInput) (Collected, error) {
	if a.Exports == nil {
		return Collected{}, temporal.NewNonRetryableApplicationError("no export store is configured", ErrPermanent, nil)
	}
	var got Collected
	err := a.call(ctx, in.ConnectorCall, func(ctx context.Context, c connector.Connector) error {
		wctx, abandon := context.WithCancel(ctx)
		defer abandon()
		w, err := a.Exports.Store.Create(wctx, partKey(in.ExportID, in.Connector))
		if err != nil {
			return err
		}
		pw := export.NewPartWriter(w)
		if err := c.Access(ctx, in.Subject, pw); err != nil {
			abandon()
			w.Close()
			return err
		}
		if err := pw.Close(); err != nil {
			abandon()
			w.Close()
			return err
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("store part: %w", err)
		}
		got = Collected{Datasets: len(pw.Counts()), Rows: pw.Rows()}
		return nil
	})
	return got, err
}

// PackageInput packages the parts of an export into the requester's zip.
type PackageInput struct {
	CaseID      string           `json:"case_id"`
	ExportID    string           `json:"export_id"`
	Reference   string           `json:"reference"`
	Connectors  []string         `json:"connectors"`
	Language    request.Language `json:"language"`
	Portability bool             `json:"portability"`
	CreatedAt   time.Time        `json:"created_at"`
}

// Packaged describes the zip.
type Packaged struct {
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Package writes the zip from the parts, then removes the parts. A retry
// after the parts are gone finds the zip written and describes it.
func (a *Activities) Package(ctx context.Context, in PackageInput) (Packaged, error) {
	if a.Exports == nil {
		return Packaged{}, temporal.NewNonRetryableApplicationError("no export store is configured", ErrPermanent, nil)
	}
	st := a.Exports.Store
	stop := heartbeat(ctx)
	defer stop()
	parts := make([]export.Opener, len(in.Connectors))
	for i, c := range in.Connectors {
		parts[i] = export.OpenerFor(ctx, st, partKey(in.ExportID, c))
	}
	archive := export.ArchiveKey(in.ExportID)
	wctx, abandon := context.WithCancel(ctx)
	defer abandon()
	w, err := st.Create(wctx, archive)
	if err != nil {
		return Packaged{}, fmt.Errorf("create export %s: %w", in.ExportID, err)
	}
	h := sha256.New()
	n := &countWriter{}
	m, err := export.Package(ctx, io.MultiWriter(w, h, n), parts,
		export.Meta{Reference: in.Reference, Language: string(in.Language), CreatedAt: in.CreatedAt, Portability: in.Portability})
	if errors.Is(err, export.ErrNotFound) {
		abandon()
		w.Close()
		return a.packaged(ctx, archive)
	}
	if err != nil {
		abandon()
		w.Close()
		return Packaged{}, fmt.Errorf("package export %s: %w", in.ExportID, err)
	}
	if err := w.Close(); err != nil {
		return Packaged{}, fmt.Errorf("store export %s: %w", in.ExportID, err)
	}
	for _, c := range in.Connectors {
		if err := st.Delete(ctx, partKey(in.ExportID, c)); err != nil && !errors.Is(err, export.ErrNotFound) {
			return Packaged{}, fmt.Errorf("remove part %s of export %s: %w", c, in.ExportID, err)
		}
	}
	return Packaged{Rows: m.Rows, Bytes: n.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// packaged describes a zip written by an earlier attempt.
func (a *Activities) packaged(ctx context.Context, archive string) (Packaged, error) {
	r, err := a.Exports.Store.Open(ctx, archive)
	if err != nil {
		return Packaged{}, fmt.Errorf("export parts and archive %s both missing: %w", archive, err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return Packaged{}, fmt.Errorf("read %s: %w", archive, err)
	}
	return Packaged{Rows: -1, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// LinkInput asks for a download link to an export valid until ExpiresAt.
type LinkInput struct {
	ExportID  string    `json:"export_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Link signs a download link.
func (a *Activities) Link(ctx context.Context, in LinkInput) (string, error) {
	if a.Exports == nil || a.Exports.Links == nil {
		return "", temporal.NewNonRetryableApplicationError("no link key is configured", ErrPermanent, nil)
	}
	return a.Exports.PublicURL + "/v1/exports/" + in.ExportID + "?" + a.Exports.Links.Sign(in.ExportID, in.ExpiresAt), nil
}

// TransferInput sends a portability package to a receiving controller.
type TransferInput struct {
	CaseID     string `json:"case_id"`
	ExportID   string `json:"export_id"`
	Reference  string `json:"reference"`
	Controller string `json:"controller"`
}

// Transferred is the receiving controller's answer.
type Transferred struct {
	Status   int    `json:"status"`
	Response string `json:"response"`
}

// Transfer posts the package to the controller.
func (a *Activities) Transfer(ctx context.Context, in TransferInput) (Transferred, error) {
	if a.Exports == nil {
		return Transferred{}, temporal.NewNonRetryableApplicationError("no export store is configured", ErrPermanent, nil)
	}
	to, ok := a.Exports.Controllers[in.Controller]
	if !ok {
		return Transferred{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("no direct transfer to %q is set up (portability.controllers)", in.Controller), ErrPermanent, nil)
	}
	client := a.Exports.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Minute}
	}
	stop := heartbeat(ctx)
	defer stop()
	res, err := export.Transfer(ctx, client, to, export.OpenerFor(ctx, a.Exports.Store, export.ArchiveKey(in.ExportID)), in.Reference)
	out := Transferred{Status: res.Status, Response: string(res.Body)}
	if err != nil && res.Status >= 400 && res.Status < 500 && res.Status != 408 && res.Status != 429 {
		return out, temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s refused the transfer: HTTP %d", in.Controller, res.Status), ErrPermanent, nil)
	}
	if err != nil {
		return out, fmt.Errorf("transfer export %s to %s: %w", in.ExportID, in.Controller, err)
	}
	return out, nil
}
