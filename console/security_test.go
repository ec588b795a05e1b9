package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/auth"
)

// sessionOf is the browser's session cookie for the console.
func (b *browser) sessionOf() *http.Cookie {
	b.t.Helper()
	u, _ := url.Parse(b.f.srv.URL + "/console/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			return c
		}
	}
	b.t.Fatal("no session cookie")
	return nil
}

// withCookie is a fresh browser holding only the given session cookie, as
// someone holding a copy of it would.
func (f *fixture) withCookie(t *testing.T, ck *http.Cookie) *browser {
	b := f.browser(t)
	u, _ := url.Parse(f.srv.URL + "/console/")
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: ck.Value, Path: "/console/"}})
	return b
}

func sentToSignin(p answer) bool {
	return p.status == http.StatusSeeOther && strings.HasPrefix(p.header.Get("Location"), "/console/signin")
}

// After sign-out a copy of the session cookie opens nothing: not the
// pages, not the codec.
func TestSignOutEndsSession(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(auth.DPO)
	old := b.sessionOf()
	other := f.browser(t)
	other.signIn(auth.DPO)

	if p := b.do(http.MethodPost, "/console/signout", url.Values{"csrf": {b.csrf()}}); !sentToSignin(p) {
		t.Fatalf("sign out: %d %s", p.status, p.header.Get("Location"))
	}
	copyOf := f.withCookie(t, old)
	if p := copyOf.get("/console/"); !sentToSignin(p) {
		t.Errorf("the signed-out cookie still opens the queue: %d", p.status)
	}
	if p := copyOf.get("/console/new"); !sentToSignin(p) {
		t.Errorf("the signed-out cookie still opens the new-request page: %d", p.status)
	}
	if p := copyOf.do(http.MethodPost, "/console/codec/decode", url.Values{}); p.status != http.StatusUnauthorized {
		t.Errorf("the signed-out cookie still reaches the codec: %d", p.status)
	}
	// Another session of the same key is not touched.
	if p := other.get("/console/"); p.status != http.StatusOK {
		t.Errorf("signing out one session ended another: %d", p.status)
	}
}

// Revoking the key (what `dsr apikey revoke` does) ends its sessions at
// once, including pages that do not call the API.
func TestRevokedKeyEndsSession(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(auth.DPO)
	keys, err := f.store.APIKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Name == "dpo-desk" {
			if err := f.store.RevokeAPIKey(context.Background(), k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, path := range []string{"/console/", "/console/deadline?policy_id=gdpr&type=access"} {
		if p := b.get(path); !sentToSignin(p) {
			t.Errorf("%s after revocation: %d", path, p.status)
		}
	}
}

// Login CSRF: a sign-in form posted from another site, or without the
// pre-session token, signs nobody in.
func TestLoginCSRF(t *testing.T) {
	f := newFixture(t)
	key := f.keys[auth.DPO]
	signedIn := func(p answer) bool {
		return strings.Contains(strings.Join(p.header.Values("Set-Cookie"), "\n"), sessionCookie+"=")
	}
	b := f.browser(t)
	for _, c := range []struct {
		name    string
		headers []string
	}{
		{"Origin null", []string{"Origin", "null"}},
		{"Origin null with a Referer of ours", []string{"Origin", "null", "Referer", f.srv.URL + "/console/signin"}},
		{"another origin", []string{"Origin", "https://evil.example"}},
	} {
		p := b.signinForm(url.Values{"key": {key}}, c.headers...)
		if p.status != http.StatusForbidden || signedIn(p) {
			t.Errorf("%s: %d, signed in %v", c.name, p.status, signedIn(p))
		}
	}

	// Without the token: no Origin, no Referer (what a null-origin form
	// that strips both would send), and no pre-session cookie.
	bare := f.browser(t)
	p := bare.do(http.MethodPost, "/console/signin", url.Values{"key": {key}}, "Origin", "")
	if p.status != http.StatusForbidden || signedIn(p) {
		t.Errorf("no token: %d, signed in %v", p.status, signedIn(p))
	}
	// A token taken from another browser's sign-in page does not fit this
	// browser's cookie.
	m := signinField.FindStringSubmatch(f.browser(t).get("/console/signin").body)
	bare.get("/console/signin") // this browser's own pre-session cookie
	p = bare.do(http.MethodPost, "/console/signin", url.Values{"key": {key}, "signin_csrf": {m[1]}})
	if p.status != http.StatusForbidden || signedIn(p) {
		t.Errorf("another browser's token: %d, signed in %v", p.status, signedIn(p))
	}
	// The refusal page carries a fresh token, so the person can retry.
	if !signinField.MatchString(p.body) || !strings.Contains(p.body, "not sent from this console") {
		t.Errorf("refusal page:\n%s", p.body)
	}
	// And the real form signs in.
	if p := bare.signinForm(url.Values{"key": {key}}); p.status != http.StatusSeeOther || !signedIn(p) {
		t.Errorf("the console's own form: %d", p.status)
	}
}

// Sign-in attempts are throttled per client address and overall, with
// 429 and Retry-After; X-Forwarded-For counts only from a trusted proxy.
func TestSigninThrottle(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.TrustedProxies = []string{"127.0.0.1"} })
	b := f.browser(t)
	m := signinField.FindStringSubmatch(b.get("/console/signin").body)
	try := func(from, key string) answer {
		t.Helper()
		return b.do(http.MethodPost, "/console/signin", url.Values{"key": {key}, "signin_csrf": {m[1]}}, "X-Forwarded-For", from)
	}
	// Successful sign-ins give their attempt back: an office behind one
	// address is not shut out by its own staff.
	for i := range 2 * signinBurstPerAddress {
		if p := try("203.0.113.7", f.keys[auth.DPO]); p.status != http.StatusSeeOther {
			t.Fatalf("sign-in %d from one address: %d", i+1, p.status)
		}
	}
	for i := range signinBurstPerAddress {
		if p := try("203.0.113.7", "dsr_wrong"); p.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, p.status)
		}
	}
	p := try("203.0.113.7", "dsr_wrong")
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != "6" || !strings.Contains(p.body, "Too many sign-in attempts") {
		t.Fatalf("attempt %d from one address: %d Retry-After %q", signinBurstPerAddress+1, p.status, p.header.Get("Retry-After"))
	}
	if p := try("203.0.113.7", f.keys[auth.DPO]); p.status != http.StatusTooManyRequests {
		t.Errorf("the right key from the throttled address: %d", p.status)
	}
	// Another address is not blocked by the first one's failures.
	if p := try("203.0.113.8", f.keys[auth.DPO]); p.status != http.StatusSeeOther {
		t.Errorf("another address's sign-in: %d\n%s", p.status, p.body)
	}
	// One host holds a whole IPv6 /64: it is one address.
	for i := range signinBurstPerAddress {
		try("2001:db8:1:2::"+strconv.Itoa(i+1), "dsr_wrong")
	}
	if p := try("2001:db8:1:2::ffff", "dsr_wrong"); p.status != http.StatusTooManyRequests {
		t.Errorf("a fresh address in a throttled /64: %d", p.status)
	}
	// The global ceiling: spread over many addresses, attempts run out
	// after signinBurstGlobal, for everyone.
	spent := 2 * signinBurstPerAddress // failures only; refused attempts and successes spend nothing
	for i := spent; i < signinBurstGlobal; i++ {
		if p := try("198.51.100."+strconv.Itoa(i), "dsr_wrong"); p.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d overall: %d", i+1, p.status)
		}
	}
	if p := try("192.0.2.1", f.keys[auth.DPO]); p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Errorf("past the global ceiling: %d", p.status)
	}

	// Without a trusted proxy, X-Forwarded-For buys no fresh budget.
	f = newFixture(t)
	b = f.browser(t)
	m = signinField.FindStringSubmatch(b.get("/console/signin").body)
	for i := range signinBurstPerAddress {
		try("203.0.113."+strconv.Itoa(i), "dsr_wrong")
	}
	if p := try("203.0.113.99", f.keys[auth.DPO]); p.status != http.StatusTooManyRequests {
		t.Errorf("a forged X-Forwarded-For bought another attempt: %d", p.status)
	}
}

// The review's flood: 300 wrong keys at once from one address. Exactly the
// address's burst reaches the key lookup; the rest get 429.
func TestSigninFlood(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	m := signinField.FindStringSubmatch(b.get("/console/signin").body)
	u, _ := url.Parse(f.srv.URL + "/console/")
	jar := b.c.Jar.Cookies(u)
	statuses := make(chan int, 300)
	start := time.Now()
	var wg sync.WaitGroup
	for range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/console/signin",
				strings.NewReader(url.Values{"key": {"dsr_wrong"}, "signin_csrf": {m[1]}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, c := range jar {
				req.AddCookie(c)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	t.Logf("300 wrong keys in %v: %v", time.Since(start).Round(time.Millisecond), count)
	if count[http.StatusUnauthorized] != signinBurstPerAddress || count[http.StatusTooManyRequests] != 300-signinBurstPerAddress {
		t.Errorf("300 wrong keys at once: %v, want %d checked and the rest 429", count, signinBurstPerAddress)
	}
}
