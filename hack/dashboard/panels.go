package dashboard

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
)

// Panel is one graph of the dashboard.
type Panel struct {
	Title       string   `json:"title"`
	Type        string   `json:"type"`
	Description string   `json:"description"`
	Datasource  any      `json:"datasource"`
	Targets     []Target `json:"targets"`
	YAxes       []struct {
		Format string `json:"format"`
	} `json:"yaxes"`
	// Panels are a row's own panels when it is collapsed.
	Panels []Panel `json:"panels"`
}

// Target is one query of a panel.
type Target struct {
	Expr   string `json:"expr"`
	Legend string `json:"legendFormat"`
}

// Unit is the panel's left axis format ("s", "short", "reqps").
func (p Panel) Unit() string {
	if len(p.YAxes) == 0 {
		return ""
	}
	return p.YAxes[0].Format
}

// Load reads a dashboard's graphs, in order, rows left out (their panels kept).
func Load(path string) ([]Panel, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d struct {
		Panels []Panel `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Panel
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for i := range ps {
			if ps[i].Type == "row" {
				walk(ps[i].Panels)
				continue
			}
			out = append(out, ps[i])
		}
	}
	walk(d.Panels)
	return out, nil
}

var legendLabel = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// Legend fills a legendFormat with a series' labels, as Grafana does.
func Legend(format string, labels map[string]string) string {
	return legendLabel.ReplaceAllStringFunc(format, func(m string) string {
		return labels[legendLabel.FindStringSubmatch(m)[1]]
	})
}
