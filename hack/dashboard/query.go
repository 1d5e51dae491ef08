package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Point is one sample.
type Point struct {
	T time.Time
	V float64
}

// Series is one line of a chart.
type Series struct {
	Name   string
	Points []Point
}

// QueryRange asks the Prometheus at base (http://host:port) for expr's series from start to
// end, one point per step; each series named by legend (a legendFormat).
func QueryRange(ctx context.Context, base, expr, legend string, start, end time.Time, step time.Duration,
) ([]Series, error) {
	q := url.Values{}
	q.Set("query", expr)
	q.Set("start", strconv.FormatFloat(float64(start.UnixMilli())/1000, 'f', 3, 64))
	q.Set("end", strconv.FormatFloat(float64(end.UnixMilli())/1000, 'f', 3, 64))
	q.Set("step", strconv.FormatFloat(step.Seconds(), 'f', 3, 64))
	body, err := Get(ctx, base, "/api/v1/query_range?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("query_range %q: %w", expr, err)
	}
	var answer struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return nil, err
	}
	out := make([]Series, 0, len(answer.Data.Result))
	for _, r := range answer.Data.Result {
		s := Series{Name: Legend(legend, r.Metric)}
		for _, v := range r.Values {
			ts, _ := v[0].(float64)
			text, _ := v[1].(string)
			f, err := strconv.ParseFloat(text, 64)
			if err != nil {
				return nil, fmt.Errorf("query_range %q: sample %q: %w", expr, text, err)
			}
			s.Points = append(s.Points, Point{T: time.UnixMilli(int64(ts * 1000)), V: f})
		}
		out = append(out, s)
	}
	return out, nil
}

// Get reads path (with its query) from the Prometheus at base (http://host:port): the body of a
// 200 answer, or an error naming the path, the status and the body of any other.
func Get(ctx context.Context, base, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, http.NoBody)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close() //nolint:errcheck // A read body's close error changes nothing.
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s: %s", path, resp.Status, body)
	}
	return body, err
}
