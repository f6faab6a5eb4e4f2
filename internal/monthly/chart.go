package monthly

import (
	"bytes"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strconv"
	"strings"
	"sync"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"vigil/internal/fonts"
)

// A Chart is a horizontal bar chart: a bar (or a group of bars, or a
// stacked bar) per label. Horizontal, because the labels are unit names
// and rule titles that do not fit under a column. It is laid out once
// (layout) into rectangles and text on a canvas ChartWidth wide; the PDF
// (fpdf primitives), the PNG of the DOCX (image/draw and the DejaVu
// fonts through opentype) and the page's SVG draw the same shapes.
type Chart struct {
	Title   string
	Labels  []string
	Series  []Series
	Stacked bool
	Suffix  string  // after each value ("%")
	Max     float64 // the axis' end; 0: the largest bar
}

// Series is one colour of bars.
type Series struct {
	Name   string
	Color  color.RGBA
	Values []float64
}

// ChartWidth is the canvas width; heights follow the number of bars.
const ChartWidth = 1000.0

const (
	labelWidth = 330.0
	titleSize  = 17.0
	textSize   = 14.0
	barHeight  = 20.0
	barGap     = 8.0
	maxLabel   = 40
)

type shape struct {
	x, y, w, h float64
	c          color.RGBA
}

type chartText struct {
	x, y float64 // y is the baseline
	s    string
	size float64
	bold bool
	c    color.RGBA
}

type layout struct {
	w, h   float64
	shapes []shape
	texts  []chartText
}

var (
	ink   = color.RGBA{0x22, 0x22, 0x22, 0xff}
	grey  = color.RGBA{0x88, 0x88, 0x88, 0xff}
	rule  = color.RGBA{0xcc, 0xcc, 0xcc, 0xff}
	white = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// Colours of the report's series.
var (
	ColorCritical = color.RGBA{0x9b, 0x1c, 0x1c, 0xff}
	ColorHigh     = color.RGBA{0xd9, 0x6c, 0x06, 0xff}
	ColorMedium   = color.RGBA{0xe0, 0xb0, 0x00, 0xff}
	ColorLow      = color.RGBA{0x3b, 0x6e, 0xa5, 0xff}
	ColorInfo     = color.RGBA{0x9e, 0x9e, 0x9e, 0xff}
	ColorMain     = color.RGBA{0x1f, 0x5f, 0x8b, 0xff}
	ColorGood     = color.RGBA{0x2e, 0x7d, 0x32, 0xff}
)

func formatValue(v float64, suffix string) string {
	if v == math.Trunc(v) {
		return Num(int64(v)) + suffix
	}
	return strings.Replace(strconv.FormatFloat(v, 'f', 1, 64), ".", ",", 1) + suffix // Vietnamese decimal comma
}

// shorten cuts s to n letters, "…" marking a cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// layout places the chart's shapes.
func (c *Chart) layout() layout {
	l := layout{w: ChartWidth}
	y := titleSize + 4
	l.texts = append(l.texts, chartText{x: 0, y: y, s: c.Title, size: titleSize, bold: true, c: ink})
	y += 10
	if len(c.Series) > 1 {
		x := labelWidth
		for _, s := range c.Series {
			l.shapes = append(l.shapes, shape{x: x, y: y, w: 14, h: 14, c: s.Color})
			l.texts = append(l.texts, chartText{x: x + 20, y: y + 12, s: s.Name, size: textSize, c: ink})
			x += 30 + float64(len([]rune(s.Name)))*textSize*0.6
		}
		y += 24
	}
	top := y
	max := c.Max
	if max == 0 {
		for i := range c.Labels {
			sum := 0.0
			for _, s := range c.Series {
				v := s.Values[i]
				if c.Stacked {
					sum += v
				} else if v > sum {
					sum = v
				}
			}
			max = math.Max(max, sum)
		}
	}
	plot := ChartWidth - labelWidth - 90
	scale := 0.0
	if max > 0 {
		scale = plot / max
	}
	groups := 1
	if !c.Stacked {
		groups = len(c.Series)
	}
	rowH := float64(groups)*barHeight + barGap
	for i, lab := range c.Labels {
		ry := y + barGap/2
		l.texts = append(l.texts, chartText{x: 0, y: ry + float64(groups)*barHeight/2 + textSize/2 - 2, s: shorten(lab, maxLabel), size: textSize, c: ink})
		x := labelWidth
		total := 0.0
		for j, s := range c.Series {
			v := s.Values[i]
			w := v * scale
			if c.Stacked {
				if w > 0 {
					l.shapes = append(l.shapes, shape{x: x, y: ry, w: w, h: barHeight, c: s.Color})
				}
				x += w
				total += v
				continue
			}
			by := ry + float64(j)*barHeight
			if w > 0 {
				l.shapes = append(l.shapes, shape{x: labelWidth, y: by, w: w, h: barHeight - 2, c: s.Color})
			}
			l.texts = append(l.texts, chartText{x: labelWidth + w + 6, y: by + barHeight - 5, s: formatValue(v, c.Suffix), size: textSize - 1, c: grey})
		}
		if c.Stacked {
			l.texts = append(l.texts, chartText{x: x + 6, y: ry + barHeight - 4, s: formatValue(total, c.Suffix), size: textSize - 1, c: grey})
		}
		y += rowH
	}
	// The axis.
	l.shapes = append(l.shapes, shape{x: labelWidth - 1, y: top, w: 1, h: y - top, c: rule})
	l.h = y + 4
	return l
}

// Height is the chart's height on the canvas.
func (c *Chart) Height() float64 { return c.layout().h }

// PDF draws the chart at the current position, widthMM wide, and moves
// below it.
func (c *Chart) PDF(pdf *fpdf.Fpdf, widthMM float64) {
	l := c.layout()
	k := widthMM / l.w
	_, pageH := pdf.GetPageSize()
	_, _, _, bottom := pdf.GetMargins()
	if pdf.GetY()+l.h*k > pageH-bottom-5 {
		pdf.AddPage()
	}
	x0, y0 := pdf.GetX(), pdf.GetY()
	for _, s := range l.shapes {
		pdf.SetFillColor(int(s.c.R), int(s.c.G), int(s.c.B))
		pdf.Rect(x0+s.x*k, y0+s.y*k, s.w*k, s.h*k, "F")
	}
	for _, t := range l.texts {
		style := ""
		if t.bold {
			style = "B"
		}
		// Canvas units are points at ChartWidth = widthMM mm; fpdf sizes
		// are points: scale by the same factor, in points per mm.
		pdf.SetFont(fonts.Family, style, t.size*k*72/25.4)
		pdf.SetTextColor(int(t.c.R), int(t.c.G), int(t.c.B))
		pdf.Text(x0+t.x*k, y0+t.y*k, t.s)
	}
	pdf.SetTextColor(0, 0, 0)
	pdf.SetXY(x0, y0+l.h*k+2)
}

var (
	faceOnce sync.Once
	faceFont [2]*opentype.Font
	faceErr  error
)

func parsedFonts() ([2]*opentype.Font, error) {
	faceOnce.Do(func() {
		if faceFont[0], faceErr = opentype.Parse(fonts.Regular()); faceErr != nil {
			return
		}
		faceFont[1], faceErr = opentype.Parse(fonts.Bold())
	})
	return faceFont, faceErr
}

// PNG draws the chart as an image scale pixels per canvas unit; it
// returns the image's size.
func (c *Chart) PNG(scale float64) ([]byte, int, int, error) {
	l := c.layout()
	fs, err := parsedFonts()
	if err != nil {
		return nil, 0, 0, fmt.Errorf("monthly: chart font: %w", err)
	}
	w, h := int(math.Ceil(l.w*scale)), int(math.Ceil(l.h*scale))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
	for _, s := range l.shapes {
		r := image.Rect(int(math.Round(s.x*scale)), int(math.Round(s.y*scale)), int(math.Round((s.x+s.w)*scale)), int(math.Round((s.y+s.h)*scale)))
		if r.Dx() == 0 {
			r.Max.X++
		}
		draw.Draw(img, r, image.NewUniform(s.c), image.Point{}, draw.Src)
	}
	faces := map[[2]int]font.Face{}
	defer func() {
		for _, f := range faces {
			f.Close()
		}
	}()
	for _, t := range l.texts {
		b := 0
		if t.bold {
			b = 1
		}
		key := [2]int{int(t.size * scale * 10), b}
		face := faces[key]
		if face == nil {
			if face, err = opentype.NewFace(fs[b], &opentype.FaceOptions{Size: t.size * scale, DPI: 72, Hinting: font.HintingFull}); err != nil {
				return nil, 0, 0, fmt.Errorf("monthly: chart face: %w", err)
			}
			faces[key] = face
		}
		d := font.Drawer{Dst: img, Src: image.NewUniform(t.c), Face: face,
			Dot: fixed.Point26_6{X: fixed.Int26_6(t.x * scale * 64), Y: fixed.Int26_6(t.y * scale * 64)}}
		d.DrawString(t.s)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return nil, 0, 0, fmt.Errorf("monthly: chart png: %w", err)
	}
	return buf.Bytes(), w, h, nil
}

// SVG writes the chart as an SVG element for the report's page (fills
// as attributes: the pages' CSP allows no inline style).
func (c *Chart) SVG() string {
	l := c.layout()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`, l.w, l.h, html.EscapeString(c.Title))
	hex := func(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }
	for _, s := range l.shapes {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, s.x, s.y, s.w, s.h, hex(s.c))
	}
	for _, t := range l.texts {
		weight := ""
		if t.bold {
			weight = ` font-weight="bold"`
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="%.0f" fill="%s"%s>%s</text>`, t.x, t.y, t.size, hex(t.c), weight, html.EscapeString(t.s))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
