/// The line being edited and what each key does to it: `LineEditor` without the terminal.
struct LineEditState {
    /// A key press, decoded.
    enum Key: Equatable {
        case character(Unicode.Scalar)
        /// A control byte: 0x01 (Ctrl-A) ... 0x1F, and 0x7F (Backspace).
        case control(UInt8)
        case left, right, up, down, home, end, delete
        case unknown
    }

    /// What the editor does after a key.
    enum Effect: Equatable {
        case redraw, accept, cancel, endOfInput, ignore
    }

    /// The line's characters and the cursor (an index into them, 0...count).
    private(set) var line: [Unicode.Scalar] = []
    private(set) var cursor = 0

    /// Earlier lines and which one is shown (`history.count`: the line being typed).
    private let history: [String]
    private var shown: Int
    /// The line being typed, kept while Up shows earlier ones.
    private var draft: [Unicode.Scalar] = []

    init(history: [String]) {
        self.history = history
        shown = history.count
    }

    mutating func apply(_ key: Key) -> Effect {
        switch key {
        case .character(let c):
            line.insert(c, at: cursor)
            cursor += 1
        case .left, .control(0x02):
            guard cursor > 0 else { return .ignore }
            cursor -= 1
        case .right, .control(0x06):
            guard cursor < line.count else { return .ignore }
            cursor += 1
        case .home, .control(0x01): cursor = 0
        case .end, .control(0x05): cursor = line.count
        case .control(0x7F), .control(0x08):
            guard cursor > 0 else { return .ignore }
            line.remove(at: cursor - 1)
            cursor -= 1
        case .delete:
            guard cursor < line.count else { return .ignore }
            line.remove(at: cursor)
        case .control(0x04):
            if line.isEmpty { return .endOfInput }
            guard cursor < line.count else { return .ignore }
            line.remove(at: cursor)
        case .control(0x15):
            line.removeSubrange(0..<cursor)
            cursor = 0
        case .control(0x0B):
            line.removeSubrange(cursor...)
        case .control(0x17):
            var start = cursor
            while start > 0 && line[start - 1] == " " { start -= 1 }
            while start > 0 && line[start - 1] != " " { start -= 1 }
            line.removeSubrange(start..<cursor)
            cursor = start
        case .control(0x03): return .cancel
        case .control(0x0D), .control(0x0A): return .accept
        case .up, .control(0x10):
            guard shown > 0 else { return .ignore }
            if shown == history.count { draft = line }
            shown -= 1
            show(Array(history[shown].unicodeScalars))
        case .down, .control(0x0E):
            guard shown < history.count else { return .ignore }
            shown += 1
            show(shown == history.count ? draft : Array(history[shown].unicodeScalars))
        case .control, .unknown: return .ignore
        }
        return .redraw
    }

    private mutating func show(_ text: [Unicode.Scalar]) {
        line = text
        cursor = text.count
    }
}
