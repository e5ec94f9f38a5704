/// Column alignment with the exact rules of Go's `text/tabwriter` as `runtime/pprof` sets it
/// up for its text profiles (`tabwriter.NewWriter(w, 1, 8, 1, '\t', 0)`).
///
/// A tab ends a cell; the text after a line's last tab is not aligned. Consecutive lines that
/// have a cell in the same column form a block whose column is as wide as its widest cell plus
/// `padding`; padding is written as tabs, the cell width rounded up to a multiple of `tabWidth`.
struct TabAligner {
    var minWidth = 1
    var tabWidth = 8
    var padding = 1

    func align(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.split(separator: "\t", omittingEmptySubsequences: false)
        }
        var state = State(lines: lines, aligner: self)
        state.format(0, lines.count)
        return state.out
    }

    private struct State {
        let lines: [[Substring]]
        let aligner: TabAligner
        var widths: [Int] = []
        var out = ""

        init(lines: [[Substring]], aligner: TabAligner) {
            self.lines = lines
            self.aligner = aligner
        }

        mutating func format(_ start: Int, _ end: Int) {
            var line0 = start
            let column = widths.count
            var this = start
            while this < end {
                guard column < lines[this].count - 1 else {
                    this += 1
                    continue
                }
                // A block of lines with a cell in this column starts here.
                writeLines(line0, this)
                line0 = this
                var width = aligner.minWidth
                while this < end && column < lines[this].count - 1 {
                    width = max(width, lines[this][column].unicodeScalars.count + aligner.padding)
                    this += 1
                }
                widths.append(width)
                format(line0, this)
                widths.removeLast()
                line0 = this
            }
            writeLines(line0, end)
        }

        mutating func writeLines(_ start: Int, _ end: Int) {
            for i in start..<end {
                for (j, cell) in lines[i].enumerated() {
                    out += cell
                    if j < widths.count { writePadding(cell.unicodeScalars.count, widths[j]) }
                }
                if i + 1 < lines.count { out += "\n" }
            }
        }

        mutating func writePadding(_ textWidth: Int, _ cellWidth: Int) {
            let tab = aligner.tabWidth
            let rounded = (cellWidth + tab - 1) / tab * tab
            let tabs = (rounded - textWidth + tab - 1) / tab
            out += String(repeating: "\t", count: tabs)
        }
    }
}
