package web_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// A minimal Chrome DevTools Protocol client over --remote-debugging-pipe:
// Chromium reads commands from fd 3 and writes answers and events to fd 4,
// each a JSON object ended by a NUL byte. No port, no websocket, no module.

// chromiumPath returns the browser to drive ($TTX_CHROMIUM or Debian's
// /usr/bin/chromium), or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("TTX_CHROMIUM"), "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("no chromium: apt-get install -y chromium (or set TTX_CHROMIUM)")
	return ""
}

type cdpMessage struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    any             `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

type incoming struct {
	cdpMessage
	RawParams json.RawMessage `json:"params,omitempty"`
}

// browser is a running headless Chromium.
type browser struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *os.File // our end of fd 3
	wmu  sync.Mutex
	mu   sync.Mutex
	next int
	wait map[int]chan incoming
	// problems collects uncaught exceptions and error-level console
	// messages from the pages (CSP violations included).
	problems []string
	exited   chan struct{}
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	toChrome, ourOut, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ourIn, fromChrome, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--disable-extensions", "--disable-default-apps",
		"--no-default-browser-check", "--mute-audio", "--hide-scrollbars",
		// Nothing but IP literals resolves: the pages are on 127.0.0.1,
		// and nothing the browser might fetch by name leaves the machine.
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--user-data-dir="+t.TempDir(),
		"--window-size=1280,900",
		"--remote-debugging-pipe",
		"about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	toChrome.Close()
	fromChrome.Close()
	b := &browser{t: t, cmd: cmd, out: ourOut, wait: make(map[int]chan incoming), exited: make(chan struct{})}
	go b.read(ourIn)
	go func() {
		cmd.Wait()
		close(b.exited)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.call(ctx, "", "Browser.close", nil, nil)
		select {
		case <-b.exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-b.exited
		}
		ourOut.Close()
		ourIn.Close()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("chromium stderr:\n%s", lastLines(stderr.String(), 30))
		}
	})
	return b
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (b *browser) read(in *os.File) {
	r := bufio.NewReaderSize(in, 1<<20)
	for {
		msg, err := r.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.wait {
				close(ch)
				delete(b.wait, id)
			}
			b.mu.Unlock()
			return
		}
		var m incoming
		if err := json.Unmarshal(msg[:len(msg)-1], &m); err != nil {
			continue
		}
		if m.ID != 0 {
			b.mu.Lock()
			ch := b.wait[m.ID]
			delete(b.wait, m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		b.event(m)
	}
}

// event records what went wrong in a page.
func (b *browser) event(m incoming) {
	var p struct {
		ExceptionDetails struct {
			Text      string `json:"text"`
			URL       string `json:"url"`
			Line      int    `json:"lineNumber"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
		Entry struct {
			Source string `json:"source"`
			Level  string `json:"level"`
			Text   string `json:"text"`
			URL    string `json:"url"`
		} `json:"entry"`
	}
	var problem string
	switch m.Method {
	case "Runtime.exceptionThrown":
		json.Unmarshal(m.RawParams, &p)
		e := p.ExceptionDetails
		problem = fmt.Sprintf("exception %s %s at %s:%d", e.Text, e.Exception.Description, e.URL, e.Line)
	case "Log.entryAdded":
		json.Unmarshal(m.RawParams, &p)
		// Failed loads are the pages' business (a 404 for a tx the node
		// does not know yet is expected).
		if p.Entry.Level == "error" && p.Entry.Source != "network" {
			problem = fmt.Sprintf("console %s: %s (%s)", p.Entry.Source, p.Entry.Text, p.Entry.URL)
		}
	}
	if problem != "" {
		b.mu.Lock()
		b.problems = append(b.problems, problem)
		b.mu.Unlock()
	}
}

// call sends a command and decodes its result into res (if not nil).
func (b *browser) call(ctx context.Context, session, method string, params, res any) error {
	ch := make(chan incoming, 1)
	b.mu.Lock()
	b.next++
	id := b.next
	b.wait[id] = ch
	b.mu.Unlock()
	msg, err := json.Marshal(cdpMessage{ID: id, Method: method, Params: params, SessionID: session})
	if err != nil {
		return err
	}
	b.wmu.Lock()
	_, err = b.out.Write(append(msg, 0))
	b.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: write to chromium: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: chromium went away", method)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if res != nil {
			return json.Unmarshal(m.Result, res)
		}
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.wait, id)
		b.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// tab is one page of the browser.
type tab struct {
	b       *browser
	session string
	ctx     context.Context
}

func (b *browser) newTab(ctx context.Context) *tab {
	b.t.Helper()
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		b.t.Fatal(err)
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		b.t.Fatal(err)
	}
	p := &tab{b: b, session: att.SessionID, ctx: ctx}
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable"} {
		p.do(m, nil, nil)
	}
	return p
}

func (p *tab) do(method string, params, res any) {
	p.b.t.Helper()
	if err := p.b.call(p.ctx, p.session, method, params, res); err != nil {
		p.b.t.Fatal(err)
	}
}

// navigate loads url and waits until the document and its scripts ran.
func (p *tab) navigate(url string) {
	p.b.t.Helper()
	var res struct {
		ErrorText string `json:"errorText"`
	}
	p.do("Page.navigate", map[string]any{"url": url}, &res)
	if res.ErrorText != "" {
		p.b.t.Fatalf("navigate %s: %s", url, res.ErrorText)
	}
	p.waitFor("page "+url+" loaded", `document.readyState === "complete"`)
}

// eval runs a JavaScript expression (awaiting a promise) and decodes its
// value into res (if not nil).
func (p *tab) eval(expr string, res any) error {
	var out struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := p.b.call(p.ctx, p.session, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true,
	}, &out)
	if err != nil {
		return err
	}
	if e := out.ExceptionDetails; e != nil {
		return fmt.Errorf("evaluate %q: %s %s", expr, e.Text, e.Exception.Description)
	}
	if res != nil && len(out.Result.Value) > 0 {
		return json.Unmarshal(out.Result.Value, res)
	}
	return nil
}

// text returns the textContent of the element selected by css ("" if none).
func (p *tab) text(css string) string {
	p.b.t.Helper()
	var s string
	if err := p.eval(fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, css), &s); err != nil {
		p.b.t.Fatal(err)
	}
	return strings.TrimSpace(s)
}

// exists reports whether css selects an element.
func (p *tab) exists(css string) bool {
	p.b.t.Helper()
	var ok bool
	if err := p.eval(fmt.Sprintf(`document.querySelector(%q) !== null`, css), &ok); err != nil {
		p.b.t.Fatal(err)
	}
	return ok
}

// waitFor polls a JavaScript condition until it is true or the test's
// context ends.
func (p *tab) waitFor(what, cond string) {
	p.b.t.Helper()
	for {
		var ok bool
		err := p.eval("!!("+cond+")", &ok)
		if err == nil && ok {
			return
		}
		select {
		case <-p.ctx.Done():
			p.b.t.Fatalf("waiting for %s (%s): %v (last error: %v)", what, cond, p.ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// typeInto focuses the element and types text as a user would: the input
// events fire for the inserted text.
func (p *tab) typeInto(css, text string) {
	p.b.t.Helper()
	if err := p.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.focus(); e.select(); })()`, css), nil); err != nil {
		p.b.t.Fatal(err)
	}
	p.do("Input.insertText", map[string]any{"text": text}, nil)
}

// click clicks the element in the page.
func (p *tab) click(css string) {
	p.b.t.Helper()
	if err := p.eval(fmt.Sprintf(`document.querySelector(%q).click()`, css), nil); err != nil {
		p.b.t.Fatal(err)
	}
}

// viewport sets the page's size; mobile emulates a phone.
func (p *tab) viewport(width, height int, mobile bool) {
	p.do("Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile,
	}, nil)
}

// screenshot saves the whole page as a PNG. The tab comes to the front
// first: headless Chromium may draw no frame for a tab in the background,
// and then captureScreenshot waits for one until the test's deadline.
func (p *tab) screenshot(path string) {
	p.b.t.Helper()
	p.do("Page.bringToFront", nil, nil)
	var m struct {
		Content struct {
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"cssContentSize"`
	}
	p.do("Page.getLayoutMetrics", nil, &m)
	var shot struct {
		Data string `json:"data"`
	}
	p.do("Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": m.Content.Width, "height": min(m.Content.Height, 4000), "scale": 1},
	}, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		p.b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.b.t.Fatal(err)
	}
}

// checkProblems fails the test for every exception or console error the
// pages reported.
func (b *browser) checkProblems() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("browser: %s", p)
	}
	b.problems = nil
}
