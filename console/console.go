// Package console is the DPO office's web console: server-rendered pages on
// top of the API. It keeps no data of its own: every page and every action
// is a call to the API's handler, in process, with the signed-in user's API
// key, so roles, validators and the audit trail stay in the API.
package console

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/render"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/store"
)

// basePath is where the console is mounted.
const basePath = "/console/"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// consoleRoles may sign in: the staff roles that read the audit trail.
// Portal and intake keys belong to machines, not to the DPO office.
var consoleRoles = []auth.Role{auth.Admin, auth.DPO, auth.Auditor}

// Options are what the console needs from the engine besides the API.
type Options struct {
	// Authenticate is the API's own key lookup (api.Server.Principal): it
	// says at sign-in whose key it is, so the console shows that role's
	// actions. The API still checks the key on every call.
	Authenticate func(ctx context.Context, key string) (auth.Principal, error)
	// Routes is the API's route table; an action shows only to roles its
	// route admits.
	Routes []api.Route
	// Policies is the API's policy registry; the console reads its
	// calendars to count working days left.
	Policies *policy.Registry
	// Secret seals sessions and signs CSRF tokens. Give every replica the
	// same one; empty makes a random one, and sessions end on restart.
	Secret []byte
	// Now is the clock; tests may fix it.
	Now func() time.Time
	// CodecOrigins are the Temporal UI origins that may decode payloads
	// through the console session (http.codec_origins).
	CodecOrigins []string
	// Sessions keeps the server-side record of every session, so that
	// sign-out and key revocation end a session although its cookie would
	// still open (the engine's store).
	Sessions Sessions
	// TrustedProxies may name the client in X-Forwarded-For, for the
	// sign-in throttle (http.trusted_proxies); none by default.
	TrustedProxies []string
}

// Sessions is the store's side of console sessions.
type Sessions interface {
	CreateConsoleSession(ctx context.Context, cs *store.ConsoleSession) error
	ActiveConsoleSession(ctx context.Context, idHash string, now time.Time) (*store.ConsoleSession, error)
	EndConsoleSession(ctx context.Context, idHash string, at time.Time) error
}

// Console serves the pages under /console/.
type Console struct {
	api     http.Handler
	opts    Options
	seal    *sealer
	signins *throttle
	pages   map[string]*template.Template
	router  *gin.Engine
}

// New builds the console on top of apiHandler, the API's http.Handler.
func New(apiHandler http.Handler, o Options) (*Console, error) {
	if apiHandler == nil || o.Authenticate == nil || o.Sessions == nil {
		return nil, errors.New("console: the API handler, its key lookup and a session store are required")
	}
	if len(o.Secret) == 0 {
		o.Secret = make([]byte, 32)
		if _, err := rand.Read(o.Secret); err != nil {
			return nil, fmt.Errorf("console secret: %w", err)
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s, err := newSealer(o.Secret)
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{api: apiHandler, opts: o, seal: s, pages: pages, signins: newThrottle(o.Now)}
	if c.router, err = c.routes(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.router.ServeHTTP(w, r) }

var pageNames = []string{"signin", "queue", "new", "case", "error", "calendars"}

func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

func (c *Console) routes() (*gin.Engine, error) {
	r := gin.New()
	// gin trusts every proxy unless told otherwise; the sign-in throttle
	// must not take a client's word for its address.
	if err := r.SetTrustedProxies(c.opts.TrustedProxies); err != nil {
		return nil, fmt.Errorf("console: trusted proxies: %w", err)
	}
	r.Use(gin.CustomRecovery(func(g *gin.Context, err any) {
		slog.Error("panic in console", "path", g.FullPath(), "error", err)
		g.String(http.StatusInternalServerError, "internal error")
	}), c.headers)
	static, _ := fs.Sub(staticFS, "static")
	r.StaticFS(basePath+"static", http.FS(static))
	r.GET(basePath+"signin", c.signinPage)
	r.POST(basePath+"signin", c.sameSite, c.signinCSRF, c.limitSignin, c.signin)
	r.GET(basePath+"lang/:lang", c.switchLang)
	r.POST(basePath+"codec/:op", c.codec)
	r.OPTIONS(basePath+"codec/:op", c.codec)

	in := r.Group(basePath, c.signedIn)
	in.GET("", c.queuePage)
	in.GET("new", c.newPage)
	in.GET("deadline", c.deadlineFragment)
	in.GET("calendars", c.calendarsPage)
	in.GET("cases/:id", c.casePage)
	post := in.Group("", c.sameSite, c.csrf)
	post.POST("signout", c.signout)
	post.POST("new", c.openRequest)
	post.POST("cases/:id/act/:action", c.act)
	r.NoRoute(func(g *gin.Context) { c.fail(g, http.StatusNotFound, g.MustGet("lang").(Lang).T("problem.not_found")) })
	return r, nil
}

// headers keep the pages out of frames and caches and pick the language.
func (c *Console) headers(g *gin.Context) {
	h := g.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	g.Set("lang", pickLang(g.Request))
	g.Next()
}

func lang(g *gin.Context) Lang { return g.MustGet("lang").(Lang) }

func sess(g *gin.Context) session { return g.MustGet("session").(session) }

// session is the request's session: its cookie must open under the
// console's secret and the store must still hold it as active. errNoSession
// for anything else; another error when the store does not answer.
func (c *Console) session(g *gin.Context) (session, error) {
	ck, err := g.Request.Cookie(sessionCookie)
	if err != nil {
		return session{}, errNoSession
	}
	s, err := c.seal.open(ck.Value, c.opts.Now())
	if err != nil {
		return session{}, errNoSession
	}
	rec, err := c.opts.Sessions.ActiveConsoleSession(g.Request.Context(), auth.Hash(s.ID), c.opts.Now())
	if isNotFound(err) {
		return session{}, errNoSession
	}
	if err != nil {
		return session{}, fmt.Errorf("console session: %w", err)
	}
	if rec.APIKeyID != s.KeyID {
		// Both were written at one sign-in; a mismatch is no session of ours.
		return session{}, errNoSession
	}
	return s, nil
}

// signedIn admits a request with a valid session and sends others to the
// sign-in page. While the store does not answer nobody is let in: a
// session the store cannot confirm may have been ended.
func (c *Console) signedIn(g *gin.Context) {
	s, err := c.session(g)
	if err == nil {
		g.Set("session", s)
		g.Next()
		return
	}
	if !errors.Is(err, errNoSession) {
		slog.Error("console session lookup", "error", err)
		c.fail(g, http.StatusServiceUnavailable, lang(g).T("signin.unavail"))
		g.Abort()
		return
	}
	next := ""
	if g.Request.Method == http.MethodGet {
		next = "?next=" + template.URLQueryEscaper(g.Request.URL.RequestURI())
	}
	g.Redirect(http.StatusSeeOther, basePath+"signin"+next)
	g.Abort()
}

// sameSite refuses a POST that a browser says came from another site.
func (c *Console) sameSite(g *gin.Context) {
	if !sameOrigin(g.Request) {
		c.fail(g, http.StatusForbidden, lang(g).T("csrf.refused"))
		g.Abort()
		return
	}
	g.Next()
}

// csrf checks the token every form of a session carries.
func (c *Console) csrf(g *gin.Context) {
	if !c.seal.checkCSRF(sess(g), g.PostForm("csrf")) {
		c.fail(g, http.StatusForbidden, lang(g).T("csrf.refused"))
		g.Abort()
		return
	}
	g.Next()
}

// page is what every template gets.
type page struct {
	L       Lang
	Title   string
	Path    string
	Session *session
	CSRF    string
	// Idem is a fresh Idempotency-Key for the page's forms.
	Idem  string
	Error *problem
	Msg   string
	may   func(method, path string) bool
	loc   *time.Location
}

// May reports whether the signed-in role may take an action (a route
// under /v1/requests/:id/) according to the API's route table.
func (p page) May(action string) bool {
	return p.may != nil && p.may(http.MethodPost, "/v1/requests/:id/"+action)
}

// MayOpen reports whether the signed-in role may open requests.
func (p page) MayOpen() bool { return p.may != nil && p.may(http.MethodPost, "/v1/requests") }

// When formats a time in the page's zone (the case policy's, else UTC).
func (p page) When(v any) string {
	var t time.Time
	switch v := v.(type) {
	case time.Time:
		t = v
	case *time.Time:
		if v == nil {
			return ""
		}
		t = *v
	default:
		return ""
	}
	if t.IsZero() {
		return ""
	}
	loc := p.loc
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// Day is the date of a time in the page's zone, for dates whose hour
// means nothing (a hold's end, a backup's roll-off).
func (p page) Day(v any) string {
	w := p.When(v)
	if len(w) < len("2006-01-02") {
		return w
	}
	return w[:len("2006-01-02")]
}

// Size is a byte count as people read it.
func (p page) Size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s (%d B)", v, []string{"KiB", "MiB", "GiB", "TiB"}[i], n)
}

func (c *Console) page(g *gin.Context, title string) page {
	p := page{L: lang(g), Title: title, Path: g.Request.URL.RequestURI(), Idem: randomID(), loc: time.UTC}
	if v, ok := g.Get("session"); ok {
		s := v.(session)
		p.Session, p.CSRF = &s, c.seal.csrfToken(s)
		p.may = func(method, path string) bool { return c.may(auth.Role(s.Role), method, path) }
	}
	return p
}

// may reads the API's route table. A route the table lacks (an action
// another part of the engine has not added yet) counts as a staff action:
// its form shows, and the API's own answer explains.
func (c *Console) may(role auth.Role, method, path string) bool {
	for _, rt := range c.opts.Routes {
		if rt.Method == method && rt.Path == path {
			return rt.Roles == nil || slices.Contains(rt.Roles, role)
		}
	}
	return role == auth.Admin || role == auth.DPO
}

func (c *Console) render(g *gin.Context, status int, name string, data any) {
	g.Render(status, render.HTML{Template: c.pages[name], Name: "layout", Data: data})
}

// fail shows a page with one message.
func (c *Console) fail(g *gin.Context, status int, msg string) {
	p := c.page(g, lang(g).T("app.title"))
	p.Msg = msg
	c.render(g, status, "error", p)
}

// apiFailed shows a failed API call: a refusal in plain words; for a
// dead session, the sign-in page.
func (c *Console) apiFailed(g *gin.Context, err error) {
	var p *problem
	if errors.As(err, &p) {
		if p.Status == http.StatusUnauthorized {
			c.endSession(g, "signin.expired")
			return
		}
		pg := c.page(g, lang(g).T("app.title"))
		pg.Error = p
		c.render(g, p.Status, "error", pg)
		return
	}
	slog.Error("console call to the API", "path", g.FullPath(), "error", err)
	c.fail(g, http.StatusBadGateway, lang(g).T("problem.unavailable"))
}

func (c *Console) endSession(g *gin.Context, why string) {
	setCookie(g.Writer, g.Request, sessionCookie, "", -1)
	g.Redirect(http.StatusSeeOther, basePath+"signin?m="+why)
}

func (c *Console) signinPage(g *gin.Context) {
	p := c.page(g, lang(g).T("signin.title"))
	if m := g.Query("m"); strings.HasPrefix(m, "signin.") {
		p.Msg = lang(g).T(m)
	}
	c.render(g, http.StatusOK, "signin", signinData{page: p, Next: safeNext(g.Query("next")), Token: c.signinFormToken(g)})
}

type signinData struct {
	page
	Next string
	// Token is the sign-in form's login-CSRF token.
	Token string
}

// signinFormToken is the token for the sign-in form, bound to the
// browser's pre-session cookie, which it sets when the browser has none.
func (c *Console) signinFormToken(g *gin.Context) string {
	if v, ok := g.Get(signinCookie); ok {
		return c.seal.signinToken(v.(string))
	}
	v := ""
	if ck, err := g.Request.Cookie(signinCookie); err == nil && len(ck.Value) >= 20 {
		v = ck.Value
	} else {
		v = randomID()
		setCookie(g.Writer, g.Request, signinCookie, v, int(sessionLifetime.Seconds()))
	}
	g.Set(signinCookie, v)
	return c.seal.signinToken(v)
}

// signinCSRF refuses a sign-in whose form token does not match the
// browser's pre-session cookie: a form posted from another site.
func (c *Console) signinCSRF(g *gin.Context) {
	v := ""
	if ck, err := g.Request.Cookie(signinCookie); err == nil {
		v = ck.Value
	}
	if c.seal.checkSignin(v, g.PostForm("signin_csrf")) {
		g.Next()
		return
	}
	p := c.page(g, lang(g).T("signin.title"))
	p.Msg = lang(g).T("csrf.refused")
	c.render(g, http.StatusForbidden, "signin", signinData{page: p, Next: safeNext(g.PostForm("next")), Token: c.signinFormToken(g)})
	g.Abort()
}

// safeNext keeps the redirect after sign-in inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, basePath) || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return basePath
	}
	return next
}

func (c *Console) signin(g *gin.Context) {
	l := lang(g)
	key := strings.TrimSpace(g.PostForm("key"))
	next := safeNext(g.PostForm("next"))
	again := func(status int, msg string) {
		p := c.page(g, l.T("signin.title"))
		p.Msg = msg
		c.render(g, status, "signin", signinData{page: p, Next: next, Token: c.signinFormToken(g)})
	}
	if key == "" {
		again(http.StatusUnauthorized, l.T("signin.bad_key"))
		return
	}
	who, err := c.opts.Authenticate(g.Request.Context(), key)
	switch {
	case err != nil && isNotFound(err):
		again(http.StatusUnauthorized, l.T("signin.bad_key"))
		return
	case err != nil:
		slog.Error("console sign-in: look up key", "error", err)
		again(http.StatusServiceUnavailable, l.T("signin.unavail"))
		return
	case !slices.Contains(consoleRoles, who.Role):
		again(http.StatusForbidden, l.T("signin.bad_role"))
		return
	}
	s := session{Key: key, KeyID: who.KeyID, KeyName: who.Name, Role: string(who.Role), Tenants: who.Tenants,
		Actor: strings.TrimSpace(g.PostForm("actor")), ID: randomID(), Expires: c.opts.Now().Add(sessionLifetime)}
	v, err := c.seal.seal(s)
	if err == nil {
		err = c.opts.Sessions.CreateConsoleSession(g.Request.Context(), &store.ConsoleSession{IDHash: auth.Hash(s.ID),
			APIKeyID: who.KeyID, CreatedAt: c.opts.Now(), ExpiresAt: s.Expires})
	}
	if err != nil {
		slog.Error("console sign-in", "error", err)
		again(http.StatusInternalServerError, l.T("signin.unavail"))
		return
	}
	setCookie(g.Writer, g.Request, sessionCookie, v, int(sessionLifetime.Seconds()))
	g.Set(signedInNow, true)
	slog.Info("console sign-in", "key", who.KeyID, "role", who.Role)
	g.Redirect(http.StatusSeeOther, next)
}

// signout ends the session in the store, so that a copy of the cookie
// (another tab, a proxy log, a stolen laptop's disk) no longer opens it.
func (c *Console) signout(g *gin.Context) {
	if err := c.opts.Sessions.EndConsoleSession(g.Request.Context(), auth.Hash(sess(g).ID), c.opts.Now()); err != nil {
		slog.Error("console sign-out", "error", err)
		c.fail(g, http.StatusServiceUnavailable, lang(g).T("signin.unavail"))
		return
	}
	setCookie(g.Writer, g.Request, sessionCookie, "", -1)
	g.Redirect(http.StatusSeeOther, basePath+"signin")
}

// switchLang remembers the chosen language and goes back to the page.
func (c *Console) switchLang(g *gin.Context) {
	l, ok := parseLang(g.Param("lang"))
	if !ok {
		l = English
	}
	http.SetCookie(g.Writer, &http.Cookie{Name: langCookie, Value: string(l), Path: basePath,
		MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: secure(g.Request), SameSite: http.SameSiteLaxMode})
	g.Redirect(http.StatusSeeOther, safeNext(g.Query("back")))
}
