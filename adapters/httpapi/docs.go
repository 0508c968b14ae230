package httpapi

import (
	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/adapters/httpapi/apidocs"
)

// docsPath is where the API's documentation page is served; its assets
// live under docsPath + "/".
const docsPath = "/api/docs"

// mountDocs adds the API docs page (apidocs: Redoc, embedded) and its
// assets. Both are public, as the document they render is.
func mountDocs(e *echo.Echo) {
	page := apidocs.New(docsPath, "/api/openapi.json", "Onit API")
	index := func(c echo.Context) error { return page.ServeIndex(c.Response(), c.Request()) }
	e.GET(docsPath, index)
	e.GET(docsPath+"/:file", func(c echo.Context) error {
		name := c.Param("file")
		if name == "" {
			return index(c)
		}
		if !page.ServeAsset(c.Response(), c.Request(), name) {
			return echo.ErrNotFound
		}
		return nil
	})
}
