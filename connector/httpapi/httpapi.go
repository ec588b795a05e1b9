// Package httpapi is the connector for a data system reached over HTTP: a
// service that implements dsrflow's JSON contract (docs/connectors.md) for
// access, erasure, correction, checks and deactivation. Every request is
// signed with a shared secret and carries a request id that stays the same
// when an activity is retried, so the service applies each change once.
// A service may answer at once or accept a job and call dsrflow back.
package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow/connector"
)

// maxAnswer bounds the answers read whole (everything but the access
// rows, which are streamed): a list of erasures is a few KiB.
const maxAnswer = 4 << 20

// Callbacks gives the body of a job's callback once the service has sent
// it. job is "<connector>/<job id>".
type Callbacks interface {
	Wait(ctx context.Context, job string) ([]byte, error)
}

// Connector talks to one service.
type Connector struct {
	name     string
	base     *url.URL
	secret   []byte
	timeout  time.Duration
	ops      []string
	datasets []connector.Dataset
	callback string // full callback URL, "" when none is configured
	client   *http.Client
	waiter   Callbacks
	now      func() time.Time
}

var _ connector.Connector = (*Connector)(nil)

// Option adjusts a Connector.
type Option func(*Connector)

// WithHTTPClient sets the client (for a proxy or custom TLS). Redirects are
// never followed, whatever the client says.
func WithHTTPClient(c *http.Client) Option { return func(x *Connector) { x.client = c } }

// WithCallbacks sets where the connector waits for job callbacks; without
// it a service answering 202 fails the call.
func WithCallbacks(cb Callbacks) Option { return func(x *Connector) { x.waiter = cb } }

// WithCallbackBase sets dsrflow's public API address, overriding the
// configuration's callback_base.
func WithCallbackBase(base string) Option {
	return func(x *Connector) { x.callback = base }
}

// WithClock sets the clock that signatures are dated by.
func WithClock(now func() time.Time) Option { return func(x *Connector) { x.now = now } }

// New builds the connector named name.
func New(name string, cfg Config, opts ...Option) (*Connector, error) {
	if err := validName(name); err != nil {
		return nil, fmt.Errorf("http connector: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("http connector %s: %w", name, err)
	}
	base, _ := url.Parse(strings.TrimRight(cfg.BaseURL, "/")) // checked by Validate
	c := &Connector{
		name:     name,
		base:     base,
		secret:   []byte(cfg.Secret),
		timeout:  cfg.Timeout,
		ops:      slices.Clone(cfg.Operations),
		callback: cfg.CallbackBase,
		client:   http.DefaultClient,
		now:      time.Now,
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	for _, d := range cfg.Datasets {
		ds := connector.Dataset{Connector: name, Name: d.Name}
		for _, col := range d.Columns {
			ds.Columns = append(ds.Columns, connector.Column{Name: col.Name, Category: col.Category})
		}
		c.datasets = append(c.datasets, ds)
	}
	for _, o := range opts {
		o(c)
	}
	if c.callback != "" {
		if err := checkURL(c.callback); err != nil {
			return nil, fmt.Errorf("http connector %s: callback_base: %w", name, err)
		}
		c.callback = strings.TrimRight(c.callback, "/") + CallbackPath(name)
	}
	// A copy, so that the caller's client keeps its own redirect policy.
	client := *c.client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.client = &client
	return c, nil
}

// CallbackPath is where the API takes the callbacks of connector name.
func CallbackPath(name string) string { return "/v1/connectors/" + name + "/callbacks" }

// Name implements connector.Connector.
func (c *Connector) Name() string { return c.name }

// Datasets implements connector.Connector: the declared datasets.
func (c *Connector) Datasets() []connector.Dataset {
	out := make([]connector.Dataset, len(c.datasets))
	for i, d := range c.datasets {
		out[i] = d
		out[i].Columns = slices.Clone(d.Columns)
	}
	return out
}

type requestKey struct{}

// WithRequestKey names the request an operation belongs to, such as the
// case id. It must be the same on every retry of one activity and differ
// between requests; the connector derives each call's request_id from it,
// the connector's name, the operation and the operation's input, so that
// a retry sends the same id and the service can dedupe it.
func WithRequestKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, requestKey{}, key)
}

// requestID derives the request_id of op. parts are the inputs that make
// two calls for one key different requests: Erase's now (a later call
// erases what a hold kept) and Correct's corrections.
func (c *Connector) requestID(ctx context.Context, op string, parts ...string) (string, error) {
	key, _ := ctx.Value(requestKey{}).(string)
	if key == "" {
		// The engine's activities name each operation's idempotency key.
		key = connector.RequestID(ctx)
	}
	if key == "" {
		// A random id would make every retry a new change.
		return "", &PermanentError{Reason: "no request key in the context (connector.WithRequestID or httpapi.WithRequestKey)"}
	}
	h := sha256.New()
	for _, p := range append([]string{c.name, key, op}, parts...) {
		// Length-prefixed, so that no two lists of parts hash alike.
		fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	return "dsr_" + hex.EncodeToString(h.Sum(nil)[:16]), nil
}

func (c *Connector) offers(op string) bool { return slices.Contains(c.ops, op) }

// begin does what every operation does first.
func (c *Connector) begin(ctx context.Context, op string, s connector.Subject, parts ...string) (string, error) {
	if !c.offers(op) {
		return "", c.fail(op, connector.ErrUnsupported)
	}
	if s.Empty() {
		return "", c.fail(op, &PermanentError{Reason: "subject has no email, phone or account id"})
	}
	id, err := c.requestID(ctx, op, parts...)
	if err != nil {
		return "", c.fail(op, err)
	}
	return id, nil
}

func (c *Connector) fail(op string, err error) error {
	return fmt.Errorf("http connector %s: %s: %w", c.name, op, err)
}

// Access implements connector.Connector. The rows are decoded one at a
// time into sink; the answer is never held whole.
func (c *Connector) Access(ctx context.Context, s connector.Subject, sink connector.Sink) error {
	id, err := c.begin(ctx, OpAccess, s)
	if err != nil {
		return err
	}
	body, err := c.call(ctx, OpAccess, map[string]any{"request_id": id, "subject": s})
	if err != nil {
		return c.fail(OpAccess, err)
	}
	defer body.Close()
	if err := c.decodeRows(body, sink); err != nil {
		return c.fail(OpAccess, err)
	}
	return nil
}

// Erase implements connector.Connector.
func (c *Connector) Erase(ctx context.Context, s connector.Subject, now time.Time) ([]connector.Erasure, error) {
	stamp := now.UTC().Format(time.RFC3339Nano)
	id, err := c.begin(ctx, OpErase, s, stamp)
	if err != nil {
		return nil, err
	}
	var out struct {
		Erasures *[]connector.Erasure `json:"erasures"`
	}
	if err := c.exchange(ctx, OpErase, map[string]any{"request_id": id, "subject": s, "now": stamp}, &out); err != nil {
		return nil, c.fail(OpErase, err)
	}
	if out.Erasures == nil {
		return nil, c.fail(OpErase, &PermanentError{Reason: "answer has no erasures"})
	}
	return *out.Erasures, nil
}

// Correct implements connector.Connector. Only the corrections of declared
// datasets are sent; with none left, no call is made.
func (c *Connector) Correct(ctx context.Context, s connector.Subject, cs []connector.Correction) ([]connector.Applied, error) {
	if !c.offers(OpCorrect) {
		return nil, c.fail(OpCorrect, connector.ErrUnsupported)
	}
	var mine []connector.Correction
	for _, corr := range cs {
		ds, _, err := corr.Split()
		if err != nil {
			return nil, c.fail(OpCorrect, &PermanentError{Reason: err.Error()})
		}
		if slices.ContainsFunc(c.datasets, func(d connector.Dataset) bool { return d.Name == ds }) {
			mine = append(mine, corr)
		}
	}
	if len(mine) == 0 {
		return nil, nil
	}
	digest, err := json.Marshal(mine)
	if err != nil {
		return nil, c.fail(OpCorrect, err)
	}
	id, err := c.begin(ctx, OpCorrect, s, string(digest))
	if err != nil {
		return nil, err
	}
	var out struct {
		Applied *[]connector.Applied `json:"applied"`
	}
	if err := c.exchange(ctx, OpCorrect, map[string]any{"request_id": id, "subject": s, "corrections": mine}, &out); err != nil {
		return nil, c.fail(OpCorrect, err)
	}
	if out.Applied == nil {
		return nil, c.fail(OpCorrect, &PermanentError{Reason: "answer has no applied"})
	}
	return *out.Applied, nil
}

// Check implements connector.Connector.
func (c *Connector) Check(ctx context.Context, s connector.Subject) ([]connector.Obstacle, error) {
	id, err := c.begin(ctx, OpCheck, s)
	if err != nil {
		return nil, err
	}
	var out struct {
		Obstacles *[]connector.Obstacle `json:"obstacles"`
	}
	if err := c.exchange(ctx, OpCheck, map[string]any{"request_id": id, "subject": s}, &out); err != nil {
		return nil, c.fail(OpCheck, err)
	}
	if out.Obstacles == nil {
		return nil, c.fail(OpCheck, &PermanentError{Reason: "answer has no obstacles"})
	}
	return *out.Obstacles, nil
}

// Deactivate implements connector.Connector; any answer body is ignored.
func (c *Connector) Deactivate(ctx context.Context, s connector.Subject) error {
	id, err := c.begin(ctx, OpDeactivate, s)
	if err != nil {
		return err
	}
	body, err := c.call(ctx, OpDeactivate, map[string]any{"request_id": id, "subject": s})
	if err != nil {
		return c.fail(OpDeactivate, err)
	}
	// Drained so that the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxAnswer))
	body.Close()
	return nil
}

// exchange calls op and decodes its (small) answer into out.
func (c *Connector) exchange(ctx context.Context, op string, payload map[string]any, out any) error {
	body, err := c.call(ctx, op, payload)
	if err != nil {
		return err
	}
	defer body.Close()
	if err := json.NewDecoder(io.LimitReader(body, maxAnswer)).Decode(out); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}

// call POSTs op and returns its result: the answer's body, or, when the
// service accepted a job, the result its callback delivered.
func (c *Connector) call(ctx context.Context, op string, payload map[string]any) (io.ReadCloser, error) {
	if c.callback != "" {
		payload["callback_url"] = c.callback
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	id, _ := payload["request_id"].(string)
	resp, err := c.send(ctx, http.MethodPost, c.base.JoinPath(op).String(), body, id)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusAccepted {
		return resp.Body, nil
	}
	var accepted struct {
		Job string `json:"job"`
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(&accepted)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("decode 202 answer: %w", err)
	}
	if err := ValidJob(accepted.Job); err != nil {
		return nil, &PermanentError{Status: http.StatusAccepted, Reason: "job id: " + err.Error()}
	}
	if c.waiter == nil || c.callback == "" {
		return nil, &PermanentError{Status: http.StatusAccepted, Reason: "service started a job but no callback_base is configured to hear of its end"}
	}
	slog.InfoContext(ctx, "http connector: waiting for a job's callback", "connector", c.name, "op", op, "job", accepted.Job)
	return c.result(ctx, accepted.Job)
}

// jobAnswer is the body of a callback.
type jobAnswer struct {
	Job       string          `json:"job"`
	Status    string          `json:"status"`
	ResultURL string          `json:"result_url"`
	Result    json.RawMessage `json:"result"`
	Error     string          `json:"error"`
}

// Callback statuses.
const (
	StatusDone   = "done"
	StatusFailed = "failed"
)

// result waits for job's callback and opens the result it points to.
func (c *Connector) result(ctx context.Context, job string) (io.ReadCloser, error) {
	raw, err := c.waiter.Wait(ctx, c.name+"/"+job)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", job, err)
	}
	var a jobAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, &PermanentError{Reason: fmt.Sprintf("job %s: callback is not JSON", job)}
	}
	switch {
	case a.Job != job:
		return nil, &PermanentError{Reason: fmt.Sprintf("job %s: callback names another job", job)}
	case a.Status == StatusFailed:
		return nil, &PermanentError{Code: errorCode(a.Error), Reason: fmt.Sprintf("job %s failed", job)}
	case a.Status != StatusDone:
		return nil, &PermanentError{Reason: fmt.Sprintf("job %s: unknown callback status %q", job, errorCode(a.Status))}
	case a.ResultURL != "":
		u, err := c.base.Parse(a.ResultURL)
		if err != nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host {
			// The signed GET must not go to another origin: a GET's
			// signature does not cover its URL.
			return nil, &PermanentError{Reason: fmt.Sprintf("job %s: result_url is not on base_url's origin", job)}
		}
		resp, err := c.send(ctx, http.MethodGet, u.String(), nil, "")
		if err != nil {
			return nil, fmt.Errorf("job %s: fetch result: %w", job, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, &PermanentError{Status: resp.StatusCode, Reason: fmt.Sprintf("job %s: result answered %d, want 200", job, resp.StatusCode)}
		}
		return resp.Body, nil
	default:
		return io.NopCloser(bytes.NewReader(a.Result)), nil
	}
}

// send makes one signed exchange, bounded by the connector's timeout until
// the returned body is closed. A non-2xx answer is returned as an error.
func (c *Connector) send(ctx context.Context, method, target string, body []byte, requestID string) (*http.Response, error) {
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	req, err := http.NewRequestWithContext(callCtx, method, target, bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "dsrflow")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if requestID != "" {
		req.Header.Set(IdempotencyHeader, requestID)
	}
	req.Header.Set(SignatureHeader, Sign(c.secret, c.now(), body))
	start := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		cancel()
		// *url.Error quotes the URL, which holds no personal data: the
		// subject travels in the body.
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	slog.DebugContext(ctx, "http connector: call", "connector", c.name, "method", method,
		"path", req.URL.Path, "status", resp.StatusCode, "ms", time.Since(start).Milliseconds())
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("%s %s: %w", method, req.URL.Path, statusError(resp, head, c.now()))
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose ends an exchange's timeout when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
