package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzEncodeQR: any text up to 213 bytes encodes to a well-formed symbol
// of the smallest version that holds it; longer text is ErrQRTooLong.
func FuzzEncodeQR(f *testing.F) {
	for _, s := range []string{"", "x", "ttx1ux9e4gvy7t9vc244nxm7tjxfxyyuncp8rc6lw36r5x2ramfl5mkqsp3fl7", strings.Repeat("a", 14), strings.Repeat("a", 15), strings.Repeat("\xff", 213), strings.Repeat("\x00", 214)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := encodeQR(data)
		if len(data) > 213 {
			if !errors.Is(err, ErrQRTooLong) || q != nil {
				t.Fatalf("%d bytes: %v, %v; want ErrQRTooLong", len(data), q, err)
			}
			return
		}
		if err != nil || q == nil {
			t.Fatalf("%d bytes: %v, %v", len(data), q, err)
		}
		ver := (q.size - 17) / 4
		if ver > 1 && 4+qrCountBits(ver-1)+8*len(data) <= 8*qrDataCodewords(ver-1) {
			t.Fatalf("%d bytes in version %d: version %d holds them", len(data), ver, ver-1)
		}
		checkStructure(t, q)
		if !bytes.HasPrefix([]byte(q.SVG()), []byte("<svg ")) {
			t.Fatal("no svg")
		}
	})
}

// FuzzAuthorized: whatever the headers and cookie, a request is authorized
// only with the open session's cookie and same-origin browser headers.
func FuzzAuthorized(f *testing.F) {
	s, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	const host = "127.0.0.1:8347"
	login := httptest.NewRequest("GET", s.LoginURL("http://"+host), nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, login)
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		f.Fatalf("login set cookies %v", cookies)
	}
	valid := cookies[0]
	for _, tc := range []struct{ host, origin, site, cookie string }{
		{host, "http://" + host, "same-origin", valid.Value},
		{host, "", "same-origin", valid.Value},
		{host, "http://127.0.0.1:1", "same-site", valid.Value},
		{host, "", "", valid.Value},
		{host, "http://" + host, "same-origin", "forged"},
		{"127.0.0.1", "http://127.0.0.1", "", valid.Value},
	} {
		f.Add(tc.host, tc.origin, tc.site, tc.cookie)
	}
	f.Fuzz(func(t *testing.T, host, origin, site, cookie string) {
		r := httptest.NewRequest("POST", "/v1/send", nil)
		r.Host = host
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		r.AddCookie(&http.Cookie{Name: cookieName(host), Value: cookie})
		if !s.Authorized(r) {
			return
		}
		// Header values are trimmed by Set; compare what the request holds.
		o, fs := r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site")
		c, err := r.Cookie(cookieName(host))
		switch {
		case err != nil || c.Value != valid.Value:
			t.Fatalf("authorized with cookie %q", cookie)
		case o == "" && fs == "":
			t.Fatal("authorized without Origin or Sec-Fetch-Site")
		case o != "" && o != "http://"+host:
			t.Fatalf("authorized from origin %q for host %q", o, host)
		case fs != "" && fs != "same-origin":
			t.Fatalf("authorized with Sec-Fetch-Site %q", fs)
		}
	})
}
