package httpapi_test

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/connector"
)

// service plays a system that implements the contract of
// docs/connectors.md. It checks every request's signature with its own
// HMAC code (not the package's), dedupes by request_id, and counts how
// often it applied each change.
type service struct {
	t      *testing.T
	secret []byte
	srv    *httptest.Server

	mu       sync.Mutex
	answers  map[string]answer // request_id -> first answer, replayed on repeats
	applied  map[string]int    // operation -> changes applied
	requests map[string]int    // operation -> requests received
	jobs     map[string]job    // job id -> what its callback will say
	// async makes the service answer 202 and call back.
	async bool
	// holdCallbacks leaves callbacks to deliver(); otherwise they are sent
	// as soon as the 202 is answered.
	holdCallbacks bool
	// fail makes an operation answer this status, with retryAfter.
	fail       map[string]int
	retryAfter string
	// jobFails makes async jobs end in a failed callback.
	jobFails bool
	// resultURL overrides the result_url of access callbacks.
	resultURL string
	// rows is how many rows access returns in dataset "orders"; gate, when
	// set, is waited on after the first half is sent.
	rows int
	gate chan struct{}
	// accepted receives each job id as its 202 is sent.
	accepted chan string
}

type answer struct {
	status int
	body   []byte
	job    string // the job a 202 started
}

type job struct {
	op, callbackURL string
	result          []byte
}

const subjectEmail = "ada@example.test"

func newService(t *testing.T, secret string) *service {
	s := &service{t: t, secret: []byte(secret), answers: map[string]answer{}, applied: map[string]int{},
		requests: map[string]int{}, jobs: map[string]job{}, fail: map[string]int{}, rows: 3,
		accepted: make(chan string, 16)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// verify checks the signature the way a service written from the
// documentation would.
func (s *service) verify(r *http.Request, body []byte) bool {
	var ts, sig string
	for part := range strings.SplitSeq(r.Header.Get("X-DSR-Signature"), ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	return hmac.Equal([]byte(sig), []byte(hex.EncodeToString(m.Sum(nil))))
}

func (s *service) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !s.verify(r, body) {
		s.t.Errorf("service: %s %s: bad signature", r.Method, r.URL.Path)
		http.Error(w, `{"error":"signature"}`, http.StatusUnauthorized)
		return
	}
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/results/") {
		s.writeRows(w)
		return
	}
	op := strings.TrimPrefix(r.URL.Path, "/")
	var req struct {
		RequestID   string              `json:"request_id"`
		CallbackURL string              `json:"callback_url"`
		Subject     connector.Subject   `json:"subject"`
		Now         *time.Time          `json:"now"`
		Corrections []map[string]string `json:"corrections"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.RequestID == "" {
		s.t.Errorf("service: %s: malformed request %q: %v", op, body, err)
		http.Error(w, `{"error":"malformed"}`, http.StatusBadRequest)
		return
	}
	if got := r.Header.Get("Idempotency-Key"); got != req.RequestID {
		s.t.Errorf("service: %s: Idempotency-Key %q, request_id %q", op, got, req.RequestID)
	}
	if req.Subject.Email != subjectEmail {
		s.t.Errorf("service: %s: subject %+v", op, req.Subject)
	}
	if op == "erase" && req.Now == nil {
		s.t.Errorf("service: erase without now")
	}

	s.mu.Lock()
	s.requests[op]++
	if status := s.fail[op]; status != 0 {
		s.mu.Unlock()
		if s.retryAfter != "" {
			w.Header().Set("Retry-After", s.retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		// The code is shown; the message, which quotes the subject, is not.
		fmt.Fprintf(w, `{"error":"E%d","message":"no account for %s"}`, status, subjectEmail)
		return
	}
	if a, ok := s.answers[req.RequestID]; ok {
		s.mu.Unlock()
		w.WriteHeader(a.status)
		w.Write(a.body)
		if a.job != "" {
			s.accepted <- a.job
		}
		return
	}
	if op == "access" && !s.async {
		s.answers[req.RequestID] = answer{status: 200}
		s.mu.Unlock()
		s.writeRows(w)
		return
	}
	result := s.apply(op, req.Corrections)
	a := answer{status: http.StatusOK, body: result}
	var jobID string
	if s.async {
		jobID = fmt.Sprintf("job-%d", len(s.jobs)+1)
		s.jobs[jobID] = job{op: op, callbackURL: req.CallbackURL, result: result}
		a = answer{status: http.StatusAccepted, body: fmt.Appendf(nil, `{"job":%q}`, jobID), job: jobID}
	}
	s.answers[req.RequestID] = a
	hold := s.holdCallbacks
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	w.Write(a.body)
	if jobID != "" {
		s.accepted <- jobID
		if !hold {
			go s.deliver(jobID)
		}
	}
}

// apply makes the change of op once and returns its answer.
func (s *service) apply(op string, corrections []map[string]string) []byte {
	switch op {
	case "erase":
		s.applied[op]++
		return []byte(`{"erasures":[{"dataset":"orders","strategy":"delete","erased":2},` +
			`{"dataset":"invoices","strategy":"null","erased":0,"held":4,"held_until":"2029-01-01T00:00:00Z","hold":"tax law, 10 years"}]}`)
	case "correct":
		s.applied[op]++
		var b bytes.Buffer
		b.WriteString(`{"applied":[`)
		for i, c := range corrections {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"field":%q,"rows":1}`, c["field"])
		}
		b.WriteString(`]}`)
		return b.Bytes()
	case "check":
		return []byte(`{"obstacles":[{"check":"balance","message":"balance of 12.00 EUR outstanding"}]}`)
	case "deactivate":
		s.applied[op]++
		return []byte(`{}`)
	}
	return []byte(`{}`)
}

// writeRows sends the access answer: a small dataset, then s.rows orders,
// flushed halfway so that a streaming reader sees rows before the end.
func (s *service) writeRows(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriter(w)
	bw.WriteString(`{"generated_at":"2026-11-23T12:00:00Z","ignored":{"nested":[1,[2,{"x":3}]]},"datasets":[`)
	fmt.Fprintf(bw, `{"name":"profile","columns":["email","phone"],"rows":[[%q,null]]},`, subjectEmail)
	bw.WriteString(`{"columns":["id","total","note"],"name":"orders","extra":"skipped","rows":[`)
	for i := range s.rows {
		if i > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, `[%d,12345678901234567890,"order %d"]`, i, i)
		if i == s.rows/2 && s.gate != nil {
			bw.Flush()
			w.(http.Flusher).Flush()
			select {
			case <-s.gate:
			case <-time.After(10 * time.Second):
				s.t.Errorf("service: no row reached the sink while the answer was half sent: not streamed")
			}
		}
	}
	bw.WriteString(`]},{"name":"empty","columns":["a"],"rows":[]}]}`)
	bw.Flush()
}

// deliver posts job's callback, signed, to the callback_url the request
// named.
func (s *service) deliver(jobID string) {
	s.mu.Lock()
	j := s.jobs[jobID]
	fails, resultURL := s.jobFails, s.resultURL
	s.mu.Unlock()
	var body []byte
	switch {
	case fails:
		body = fmt.Appendf(nil, `{"job":%q,"status":"failed","error":"subject_locked"}`, jobID)
	case j.op == "access":
		if resultURL == "" {
			resultURL = s.srv.URL + "/results/" + jobID
		}
		body = fmt.Appendf(nil, `{"job":%q,"status":"done","result_url":%q}`, jobID, resultURL)
	default:
		body = fmt.Appendf(nil, `{"job":%q,"status":"done","result":%s}`, jobID, j.result)
	}
	if j.callbackURL == "" {
		s.t.Errorf("service: job %s: request had no callback_url", jobID)
		return
	}
	req, _ := http.NewRequest(http.MethodPost, j.callbackURL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	req.Header.Set("X-DSR-Signature", "t="+ts+",v1="+hex.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Errorf("service: deliver %s: %v", jobID, err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		s.t.Errorf("service: deliver %s: API answered %d", jobID, resp.StatusCode)
	}
}

func (s *service) count(m map[string]int, op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return m[op]
}
