package ui

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/constat-ent/constat/probes"
	"github.com/labstack/echo/v4"
)

// The alerts form's choices, without the Statuspage list of every
// component (3.2 MB at 10,000 components, which a phone parsed into 10,000
// checkboxes): GET /api/v1/push/choices lists the regions (a group of the
// configuration) with their number of services, and, up to summaryAbove
// services, each region's services too, the one list the form shows at
// that size; GET /api/v1/push/choices/{group} and …/{group}/{n} list one
// page of a region's services, as its region page splits them
// (scale.regionRows a page). Names and IDs only. The configuration does
// not change while the server runs, so each document is built once, on
// first request, compressed once and served with its ETag.

// choicesDoc is GET /api/v1/push/choices.
type choicesDoc struct {
	// Summarised is true past summaryAbove services: the groups then come
	// without their components, to be asked for group by group.
	Summarised bool          `json:"summarised"`
	Groups     []choiceGroup `json:"groups"`
}

// choiceGroup is a region and, on one page of its services (or all of them
// in choicesDoc below summaryAbove), their IDs and names.
type choiceGroup struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Count      int            `json:"count"`           // the region's services, on every page
	Page       int            `json:"page,omitempty"`  // in …/choices/{group}: this page, 1-based
	Pages      int            `json:"pages,omitempty"` // and how many there are
	Components []choiceOption `json:"components,omitempty"`
}

type choiceOption struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// choiceDocs caches the choices' documents by path key ("" for the list,
// "{group}/{n}" for a page of a group).
type choiceDocs struct {
	mu   sync.Mutex
	docs map[string]*renderedPage
}

// get returns the document of key, building it with build the first time.
func (cd *choiceDocs) get(key string, build func() any) (*renderedPage, error) {
	cd.mu.Lock()
	defer cd.mu.Unlock()
	if p := cd.docs[key]; p != nil {
		return p, nil
	}
	b, err := json.Marshal(build())
	if err != nil {
		return nil, fmt.Errorf("push choices %q: %w", key, err)
	}
	p := hashed(b)
	if cd.docs == nil {
		cd.docs = map[string]*renderedPage{}
	}
	cd.docs[key] = &p
	return &p, nil
}

// choiceCache is short: a restart with another configuration changes the
// documents (their ETag says so, and a revalidation costs a 304).
const choiceCache = "public, max-age=300"

// choices serves GET /api/v1/push/choices.
func (h *pushAPI) choices(c echo.Context) error {
	s := h.s
	p, err := h.docs.get("", func() any {
		doc := choicesDoc{Summarised: s.summarised(), Groups: make([]choiceGroup, 0, len(s.cfg.Groups))}
		for _, g := range s.cfg.Groups {
			cg := choiceGroup{ID: g.ID, Name: g.Name, Count: len(g.Components)}
			if !doc.Summarised {
				cg.Components = choiceOptions(g.Components)
			}
			doc.Groups = append(doc.Groups, cg)
		}
		return doc
	})
	if err != nil {
		return err
	}
	return serveRendered(c, *p, echo.MIMEApplicationJSON, choiceCache)
}

// groupChoices serves GET /api/v1/push/choices/{group} and …/{group}/{n}:
// page n of the region's services, as on its page /region/{group}/{n}; an
// unknown region or page is a 404.
func (h *pushAPI) groupChoices(c echo.Context) error {
	s := h.s
	gi, n, err := s.parseRegion(c.Param("group"), c.Param("n"))
	if err != nil {
		return err
	}
	g := s.cfg.Groups[gi]
	p, err := h.docs.get(fmt.Sprintf("%s/%d", g.ID, n), func() any {
		from, to := (n-1)*s.scale.regionRows, min(n*s.scale.regionRows, len(g.Components))
		return choiceGroup{ID: g.ID, Name: g.Name, Count: len(g.Components), Page: n,
			Pages: s.regionPageCount(len(g.Components)), Components: choiceOptions(g.Components[from:to])}
	})
	if err != nil {
		return err
	}
	return serveRendered(c, *p, echo.MIMEApplicationJSON, choiceCache)
}

func choiceOptions(comps []*probes.Component) []choiceOption {
	out := make([]choiceOption, len(comps))
	for i, c := range comps {
		out[i] = choiceOption{c.ID, c.Name}
	}
	return out
}

// alertChoices is what a page tells /push.js of its place, as data-
// attributes of its "Recevoir les alertes" section: nothing on the home
// page (the script asks /api/v1/push/choices); a component page's
// component and region (the script offers those two and fetches nothing);
// a region page's region and page number (the script offers the region
// and that page's services).
type alertChoices struct {
	Component, ComponentName string
	Group, GroupName         string
	Page                     int
}

// AlertChoices are the home page's: none.
func (statusView) AlertChoices() alertChoices { return alertChoices{} }

// AlertChoices are the component and its region.
func (v componentView) AlertChoices() alertChoices {
	return alertChoices{Component: v.ID, ComponentName: v.Name, Group: v.Group, GroupName: v.GroupName}
}

// AlertChoices are the region and this page's services.
func (v regionView) AlertChoices() alertChoices {
	return alertChoices{Group: v.Group.ID, GroupName: v.Name, Page: v.Page}
}
