/// Column alignment with the exact rules of Go's `text/tabwriter` as `runtime/pprof` sets it
/// up for its text profiles (`tabwriter.NewWriter(w, 1, 8, 1, '\t', 0)`).
///
/// A tab ends a cell; the text after a line's last tab is not aligned. Consecutive lines that
/// have a cell in the same column form a block whose column is as wide as its widest cell plus
/// `padding`; padding is written as tabs, the cell width rounded up to a multiple of `tabWidth`.
/// Widths count Unicode scalars (Go counts runes).
///
/// Works on UTF-8 bytes: the cells are offsets into the input, and the output is measured
/// first, then written into one buffer whose capacity is an `AllocationSizeClass` (or into
/// the caller's buffer, sized with `alignedCount`).
struct TabAligner {
    var minWidth = 1
    var tabWidth = 8
    var padding = 1

    func align(_ text: String) -> String {
        String(decoding: align(Array(text.utf8)), as: UTF8.self)
    }

    func align(_ text: [UInt8]) -> [UInt8] {
        var out = AllocationSizeClass.bytes(reserving: alignedCount(text))
        align(text, into: &out)
        return out
    }

    /// The length of `align(text)`, without writing it.
    func alignedCount(_ text: [UInt8]) -> Int {
        var state = State(text: text, aligner: self)
        state.format(0, state.lineCount)
        return state.length
    }

    /// Appends `align(text)` to `out` (which the caller sized with `alignedCount`).
    ///
    /// A line without a tab ends every column block, so texts that end with such a line
    /// (Go's heap profile records end with an empty line) can be aligned one by one.
    func align(_ text: [UInt8], into out: inout [UInt8]) {
        var state = State(text: text, aligner: self)
        state.writing = true
        swap(&state.out, &out)
        state.format(0, state.lineCount)
        swap(&state.out, &out)
    }

    private struct State {
        let text: [UInt8]
        let aligner: TabAligner
        /// Cells of line `i`: `firstCell[i]..<firstCell[i + 1]`; a cell is `cellStart[c]..<cellEnd[c]`.
        var firstCell: [Int32] = []
        var cellStart: [Int32] = []
        var cellEnd: [Int32] = []
        var cellWidth: [Int32] = []
        var widths: [Int] = []
        /// False: only count the output bytes in `length`; true: append them to `out`.
        var writing = false
        var length = 0
        var out: [UInt8] = []

        var lineCount: Int { firstCell.count - 1 }

        init(text: [UInt8], aligner: TabAligner) {
            self.text = text
            self.aligner = aligner
            // Sized first, on the grid: arrays grown by doubling would get sizes that drift
            // with malloc's slack (see `AllocationSizeClass`).
            var separators = 0, newlines = 0
            text.withUnsafeBufferPointer { bytes in
                var i = 0
                while i < bytes.count {
                    if bytes[i] == 9 { separators += 1 } else if bytes[i] == 10 { separators += 1; newlines += 1 }
                    i += 1
                }
            }
            func reserve(_ array: inout [Int32], _ count: Int) {
                array.reserveCapacity(AllocationSizeClass.capacity(atLeast: count * 4) / 4)
            }
            reserve(&firstCell, newlines + 2)
            reserve(&cellStart, separators + 1)
            reserve(&cellEnd, separators + 1)
            reserve(&cellWidth, separators + 1)
            firstCell.append(0)
            // Index loops over the raw bytes: the profile texts are megabytes, and a generic
            // iterator costs a metadata lookup per byte in an unoptimised build.
            text.withUnsafeBufferPointer { bytes in
                var start = 0, width = 0, i = 0
                while i < bytes.count {
                    let byte = bytes[i]
                    if byte == 9 || byte == 10 {
                        cellStart.append(Int32(start))
                        cellEnd.append(Int32(i))
                        cellWidth.append(Int32(width))
                        start = i + 1
                        width = 0
                        if byte == 10 { firstCell.append(Int32(cellStart.count)) }
                    } else if byte & 0xC0 != 0x80 {
                        width += 1
                    }
                    i += 1
                }
                cellStart.append(Int32(start))
                cellEnd.append(Int32(bytes.count))
                cellWidth.append(Int32(width))
            }
            firstCell.append(Int32(cellStart.count))
        }

        /// Cells of line `line`, the last one (after the last tab) included.
        func cells(_ line: Int) -> Int { Int(firstCell[line + 1] - firstCell[line]) }

        mutating func format(_ start: Int, _ end: Int) {
            var line0 = start
            let column = widths.count
            var this = start
            while this < end {
                guard column < cells(this) - 1 else {
                    this += 1
                    continue
                }
                // A block of lines with a cell in this column starts here.
                writeLines(line0, this)
                line0 = this
                var width = aligner.minWidth
                while this < end && column < cells(this) - 1 {
                    width = max(width, Int(cellWidth[Int(firstCell[this]) + column]) + aligner.padding)
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
                let first = Int(firstCell[i])
                for j in 0..<cells(i) {
                    let c = first + j
                    let bytes = Int(cellEnd[c] - cellStart[c])
                    if writing && bytes > 0 {
                        text.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[Int(cellStart[c])..<Int(cellEnd[c])])) }
                    }
                    length += bytes
                    if j < widths.count { writePadding(Int(cellWidth[c]), widths[j]) }
                }
                if i + 1 < lineCount {
                    if writing { out.append(10) }
                    length += 1
                }
            }
        }

        mutating func writePadding(_ textWidth: Int, _ cellWidth: Int) {
            let tab = aligner.tabWidth
            let rounded = (cellWidth + tab - 1) / tab * tab
            let tabs = (rounded - textWidth + tab - 1) / tab
            if writing { for _ in 0..<tabs { out.append(9) } }
            length += tabs
        }
    }
}
