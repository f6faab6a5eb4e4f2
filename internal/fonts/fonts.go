// Package fonts embeds the TrueType fonts Vigil's PDF documents use: DejaVu
// Sans, regular and bold, which cover Vietnamese (precomposed letters and
// combining marks) so a report prints "Báo cáo ban đầu sự cố" right on a
// hub with no font installed. The licence (Bitstream Vera / DejaVu: free to
// use, embed and redistribute) is LICENSE-DejaVu beside this file.
package fonts

import _ "embed"

//go:embed DejaVuSans.ttf
var regular []byte

//go:embed DejaVuSans-Bold.ttf
var bold []byte

// Family is the name documents register the fonts under.
const Family = "DejaVuSans"

// Regular is DejaVu Sans. The slice is shared: do not modify it.
func Regular() []byte { return regular }

// Bold is DejaVu Sans Bold. The slice is shared: do not modify it.
func Bold() []byte { return bold }
