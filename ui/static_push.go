package ui

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/labstack/echo/v4"
)

// The alerts' files: the progressive script of the "Recevoir les alertes"
// section, the service worker, the web app manifest (a site added to the
// home screen is the only way to Web Push on iOS) and its icons. Each is
// built once, compressed once, and served with its content hash as ETag.
var (
	//go:embed static/push.js
	pushJS []byte
	//go:embed static/sw.js
	swJS []byte

	pushScriptPage = hashed(pushJS)
	swPage         = hashed(swJS)
	manifestPage   = hashed(manifestJSON())
	icon192Page    = hashed(iconPNG(192))
	icon512Page    = hashed(iconPNG(512))
)

func hashed(b []byte) renderedPage {
	return newRendered(0, b, fmt.Sprintf(`"%x"`, sha256.Sum256(b))[:18]+`"`)
}

func pushScript(c echo.Context) error {
	return serveRendered(c, pushScriptPage, "text/javascript; charset=utf-8", "public, max-age=3600")
}

// serviceWorker is served fresh: browsers check a worker's script for
// updates, and a cached old one would keep showing old notifications.
func serviceWorker(c echo.Context) error {
	return serveRendered(c, swPage, "text/javascript; charset=utf-8", "no-cache")
}

func manifest(c echo.Context) error {
	return serveRendered(c, manifestPage, "application/manifest+json", "public, max-age=86400")
}

func icon192(c echo.Context) error {
	return serveRendered(c, icon192Page, "image/png", "public, max-age=86400")
}

func icon512(c echo.Context) error {
	return serveRendered(c, icon512Page, "image/png", "public, max-age=86400")
}

// manifestJSON is the web app manifest, in French, the site's language.
func manifestJSON() []byte {
	type icon struct {
		Src   string `json:"src"`
		Sizes string `json:"sizes"`
		Type  string `json:"type"`
	}
	b, err := json.MarshalIndent(map[string]any{
		"name":             fr["site.title"],
		"short_name":       "Constat",
		"description":      fr["site.tagline"],
		"lang":             "fr",
		"start_url":        "/",
		"scope":            "/",
		"display":          "standalone",
		"background_color": "#ffffff",
		"theme_color":      "#1f4e9c",
		"icons":            []icon{{"/icon-192.png", "192x192", "image/png"}, {"/icon-512.png", "512x512", "image/png"}},
	}, "", "  ")
	if err != nil {
		panic(err) // a map of strings always encodes
	}
	return b
}

// iconPNG draws the icon at size × size: three white bars of measurements
// on the site's blue, the last one low (an outage measured).
func iconPNG(size int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	blue, white := color.NRGBA{0x1f, 0x4e, 0x9c, 0xff}, color.NRGBA{0xff, 0xff, 0xff, 0xff}
	u := size / 16
	for y := range size {
		for x := range size {
			c := blue
			for i, h := range []int{9, 11, 4} { // bar heights in 16ths
				x0 := (3 + 4*i) * u
				if x >= x0 && x < x0+2*u && y >= (13-h)*u && y < 13*u {
					c = white
				}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory image does not fail
	}
	return buf.Bytes()
}
