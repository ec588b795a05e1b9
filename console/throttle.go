package console

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// Sign-in attempts allowed: per client address, a burst of
// signinBurstPerAddress refilled at signinPerAddress; for the whole
// console, signinBurstGlobal refilled at signinGlobal. Keys carry 160
// random bits, so guessing one is hopeless at any rate; the limits keep a
// flood from turning into database load and log noise, and the per-address
// one keeps one address from spending everyone's global budget. A
// successful sign-in gives its attempt back, so an office behind one NAT
// address is not shut out by its own staff signing in.
const (
	signinPerAddress      = rate.Limit(1.0 / 6) // ten a minute
	signinBurstPerAddress = 10
	signinGlobal          = rate.Limit(5)
	signinBurstGlobal     = 100
	// throttleAddresses bounds the per-address table; past it, full
	// buckets (addresses that have been quiet) are dropped.
	throttleAddresses = 10_000
)

// throttle limits sign-in attempts with golang.org/x/time/rate token
// buckets. Like the API's verification limits it lives in one process:
// with several replicas each enforces its own share.
type throttle struct {
	now func() time.Time

	global *rate.Limiter
	mu     sync.Mutex
	addrs  map[string]*rate.Limiter
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, global: rate.NewLimiter(signinGlobal, signinBurstGlobal), addrs: map[string]*rate.Limiter{}}
}

// allow counts one attempt from addr; when refused it says how long until
// an attempt would be taken. An address over its budget does not spend the
// global one. Once allowed, calling giveBack returns the attempt to both
// budgets (the attempt succeeded).
func (t *throttle) allow(addr string) (ok bool, wait time.Duration, giveBack func()) {
	now := t.now()
	lim := t.address(addressKey(addr), now)
	ra := lim.ReserveN(now, 1)
	if wait := ra.DelayFrom(now); wait > 0 {
		ra.CancelAt(now)
		return false, wait, nil
	}
	rg := t.global.ReserveN(now, 1)
	if wait := rg.DelayFrom(now); wait > 0 {
		rg.CancelAt(now)
		ra.CancelAt(now)
		return false, wait, nil
	}
	// Cancelling at the reservation's own time is what restores its token:
	// x/time/rate ignores a cancel after the reserved moment has passed,
	// and this one was due at once.
	return true, 0, func() {
		rg.CancelAt(now)
		ra.CancelAt(now)
	}
}

func (t *throttle) address(key string, now time.Time) *rate.Limiter {
	t.mu.Lock()
	defer t.mu.Unlock()
	if lim, ok := t.addrs[key]; ok {
		return lim
	}
	if len(t.addrs) >= throttleAddresses {
		for k, l := range t.addrs {
			if l.TokensAt(now) >= signinBurstPerAddress {
				delete(t.addrs, k)
			}
		}
		if len(t.addrs) >= throttleAddresses {
			// Every address is busy: start afresh. The global bucket
			// still bounds what the fresh budgets buy.
			t.addrs = map[string]*rate.Limiter{}
		}
	}
	lim := rate.NewLimiter(signinPerAddress, signinBurstPerAddress)
	t.addrs[key] = lim
	return lim
}

// addressKey is what one client's budget is keyed by: its IPv4 address,
// or its IPv6 /64, since one host commonly holds a whole /64.
func addressKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// signedInNow marks a request whose sign-in succeeded.
const signedInNow = "dsrflow.signed_in"

// limitSignin answers 429 with Retry-After once the client's address, or
// the console as a whole, has had too many sign-in attempts. The client
// address is gin's ClientIP, which believes X-Forwarded-For only from
// http.trusted_proxies.
func (c *Console) limitSignin(g *gin.Context) {
	ok, wait, giveBack := c.signins.allow(g.ClientIP())
	if ok {
		g.Next()
		if g.GetBool(signedInNow) {
			giveBack()
		}
		return
	}
	g.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	p := c.page(g, lang(g).T("signin.title"))
	p.Msg = lang(g).T("signin.throttled")
	c.render(g, http.StatusTooManyRequests, "signin", signinData{page: p, Next: safeNext(g.PostForm("next")), Token: c.signinFormToken(g)})
	g.Abort()
}
