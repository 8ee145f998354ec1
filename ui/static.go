package ui

import (
	"crypto/sha256"
	_ "embed"
	"fmt"

	"github.com/labstack/echo/v4"
)

//go:embed static/style.css
var styleCSS []byte

// stylePage is the public stylesheet, compressed once; its ETag is its
// content hash, so a new release is fetched again.
var stylePage = newRendered(0, styleCSS, fmt.Sprintf(`"%x"`, sha256.Sum256(styleCSS))[:18]+`"`)

func publicStyle(c echo.Context) error {
	return serveRendered(c, stylePage, "text/css; charset=utf-8", "public, max-age=86400")
}
