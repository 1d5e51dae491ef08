package dashboard

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// Chart is one panel's lines.
type Chart struct {
	Title  string
	Unit   string
	Series []Series
}

// Layout of the picture: two columns of charts.
const (
	svgWidth     = 1200
	headerHeight = 85
	cellWidth    = svgWidth / 2
	cellHeight   = 330
	plotLeft     = 70
	plotTop      = 40
	plotWidth    = cellWidth - plotLeft - 30
	plotHeight   = 170
	legendLines  = 6
)

// palette is the lines' colors, in order.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

// RenderSVG draws the charts from start to end under a title and a caption (say where the
// data comes from; a line each), two per row.
func RenderSVG(title, caption string, charts []Chart, start, end time.Time) []byte {
	rows := (len(charts) + 1) / 2
	height := headerHeight + rows*cellHeight
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" `+
		`font-family="sans-serif" font-size="11">`+"\n", svgWidth, height, svgWidth, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", svgWidth, height)
	fmt.Fprintf(&b, `<text x="20" y="30" font-size="20" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	for i, line := range strings.Split(caption, "\n") {
		fmt.Fprintf(&b, `<text x="20" y="%d" font-size="12" fill="#555555">%s</text>`+"\n", 50+i*15, html.EscapeString(line))
	}
	for i, c := range charts {
		x, y := (i%2)*cellWidth, headerHeight+(i/2)*cellHeight
		drawChart(&b, c, x, y, start, end)
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

func drawChart(b *strings.Builder, c Chart, x0, y0 int, start, end time.Time) {
	fmt.Fprintf(b, `<g transform="translate(%d,%d)">`+"\n", x0, y0)
	fmt.Fprintf(b, `<text x="%d" y="22" font-size="14" font-weight="bold">%s</text>`+"\n",
		plotLeft, html.EscapeString(c.Title))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#fafafa" stroke="#cccccc"/>`+"\n",
		plotLeft, plotTop, plotWidth, plotHeight)
	top := drawAxes(b, c, start, end)
	span := end.Sub(start)
	if len(c.Series) == 0 {
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" fill="#999999" font-size="14">no data</text>`+"\n",
			plotLeft+plotWidth/2, plotTop+plotHeight/2)
	}
	for i, s := range c.Series {
		color := palette[i%len(palette)]
		for _, line := range segments(s.Points) {
			pts := make([]string, 0, len(line))
			for _, p := range line {
				px := plotLeft + float64(plotWidth)*float64(p.T.Sub(start))/float64(span)
				py := plotTop + plotHeight - float64(plotHeight)*p.V/top
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px, py))
			}
			if len(pts) == 1 {
				// A lone point: a dot, which a line of no length would not show.
				xy := strings.Split(pts[0], ",")
				fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="2" fill="%s"/>`+"\n", xy[0], xy[1], color)
				continue
			}
			fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n",
				color, strings.Join(pts, " "))
		}
	}
	for i, s := range c.Series {
		y := plotTop + plotHeight + 34 + i*14
		if i == legendLines-1 && len(c.Series) > legendLines {
			fmt.Fprintf(b, `<text x="%d" y="%d" fill="#555555">and %d more series</text>`+"\n", plotLeft, y, len(c.Series)-i)
			break
		}
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="10" height="3" fill="%s"/>`, plotLeft, y-4, palette[i%len(palette)])
		fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`+"\n", plotLeft+16, y, html.EscapeString(shorten(s.Name, 80)))
	}
	b.WriteString("</g>\n")
}

// drawAxes draws the value and time axes of a chart and returns the value at its top.
func drawAxes(b *strings.Builder, c Chart, start, end time.Time) float64 {
	top := 0.0
	for _, s := range c.Series {
		for _, p := range s.Points {
			if finite(p.V) && p.V > top {
				top = p.V
			}
		}
	}
	if top == 0 {
		top = 1
	}
	// A little headroom, so that a line at the highest value is not drawn on the frame.
	top = niceCeiling(top * 1.05)
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		y := plotTop + plotHeight - int(float64(plotHeight)*float64(i)/4)
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#e5e5e5"/>`+"\n", plotLeft, y, plotLeft+plotWidth, y)
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" fill="#555555">%s</text>`+"\n",
			plotLeft-6, y+4, formatValue(v, c.Unit))
	}
	for i := 0; i <= 3; i++ {
		t := start.Add(end.Sub(start) * time.Duration(i) / 3)
		x := plotLeft + int(float64(plotWidth)*float64(i)/3)
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" fill="#555555">%s</text>`+"\n",
			x, plotTop+plotHeight+15, t.UTC().Format("15:04:05"))
	}
	return top
}

// segments splits a series where it has no finite value (a quantile of no observations is NaN).
func segments(points []Point) [][]Point {
	var out [][]Point
	var cur []Point
	for _, p := range points {
		if !finite(p.V) {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, p)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// niceCeiling rounds v up to 1, 2 or 5 times a power of ten.
func niceCeiling(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// formatValue prints an axis value in the panel's unit.
func formatValue(v float64, unit string) string {
	switch unit {
	case "s":
		switch {
		case v == 0:
			return "0"
		case v < 1:
			return fmt.Sprintf("%g ms", round3(v*1000))
		default:
			return fmt.Sprintf("%g s", round3(v))
		}
	case "reqps":
		return fmt.Sprintf("%g/s", round3(v))
	default:
		return fmt.Sprintf("%g", round3(v))
	}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
