import Foundation

/// Reads the shell's lines from a terminal with editing and history: left and right arrows,
/// Home and End, Backspace and Delete, Up and Down through earlier lines, Ctrl-A (start),
/// Ctrl-E (end), Ctrl-U (erase to start), Ctrl-K (erase to end), Ctrl-W (erase a word),
/// Ctrl-C (abandon the line), Ctrl-D (end of input on an empty line, else delete).
///
struct LineEditor {
    /// Earlier lines, oldest first; blank lines and repeats of the last one are not kept.
    private(set) var history: [String] = []
    /// At most this many lines of history.
    var historyLimit = 500

    private let input: Int32
    private let output: Int32

    init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) {
        self.input = input
        self.output = output
    }

    /// Puts the terminal in raw mode (no echo, no line buffering, no signals from keys; output
    /// processing stays on, so newlines are still `\r\n`) until `restore()`, or until memprof
    /// ends by SIGTERM, SIGHUP or SIGQUIT. Raw for the whole session, so keys typed while a report
    /// runs are not echoed by the terminal as `^[[A` but read as keys. False if not a terminal.
    @discardableResult
    static func enterRawMode(_ fd: Int32 = STDIN_FILENO) -> Bool {
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return false }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL | INLCR)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        savedTerminal = (fd, saved)
        for sig in [SIGTERM, SIGHUP, SIGQUIT] {
            signal(sig) { number in
                LineEditor.restore()
                signal(number, SIG_DFL)
                raise(number)
            }
        }
        return tcsetattr(fd, TCSADRAIN, &raw) == 0
    }

    /// Puts the terminal back as `enterRawMode` found it.
    static func restore() {
        guard let (fd, terminal) = savedTerminal else { return }
        var saved = terminal
        tcsetattr(fd, TCSADRAIN, &saved)
    }

    nonisolated(unsafe) private static var savedTerminal: (Int32, termios)?

    /// One line, without its newline; nil at end of input (Ctrl-D on an empty line, or the
    /// terminal closed). Ctrl-C gives an empty line, as in a shell. The terminal must be in
    /// raw mode (`enterRawMode`).
    mutating func readLine(prompt: String) -> String? {
        var state = LineEditState(history: history)
        write(prompt)
        var decoder = UTF8Bytes()
        while true {
            guard let byte = readByte() else {
                write("\n")
                return state.line.isEmpty ? nil : finish(&state)
            }
            let key: LineEditState.Key
            if byte == 0x1B {
                key = readEscape()
            } else if byte < 0x20 || byte == 0x7F {
                key = .control(byte)
            } else if let scalar = decoder.add(byte) {
                key = .character(scalar)
            } else {
                continue
            }
            let atEnd = state.cursor == state.line.count
            switch state.apply(key) {
            case .redraw:
                // Typing at the end of the line only needs the character shown.
                if atEnd, case .character(let c) = key { write(String(Character(c))) } else { redraw(prompt, state) }
            case .accept:
                write("\n")
                return finish(&state)
            case .cancel:
                write("^C\n")
                return ""
            case .endOfInput:
                write("\n")
                return nil
            case .ignore: break
            }
        }
    }

    /// The accepted line, remembered in the history.
    private mutating func finish(_ state: inout LineEditState) -> String {
        let line = String(String.UnicodeScalarView(state.line))
        if !line.trimmingCharacters(in: .whitespaces).isEmpty && history.last != line {
            history.append(line)
            if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
        }
        return line
    }

    /// The key of an escape sequence (`ESC [ A`, `ESC O H`, `ESC [ 3 ~`, ...); a lone ESC or an
    /// unknown sequence is ignored.
    private func readEscape() -> LineEditState.Key {
        guard let first = readByte(), first == UInt8(ascii: "[") || first == UInt8(ascii: "O") else { return .unknown }
        var parameter: [UInt8] = []
        while let b = readByte() {
            if (0x30...0x3F).contains(b) {
                parameter.append(b)
                continue
            }
            switch (b, parameter) {
            case (UInt8(ascii: "A"), _): return .up
            case (UInt8(ascii: "B"), _): return .down
            case (UInt8(ascii: "C"), _): return .right
            case (UInt8(ascii: "D"), _): return .left
            case (UInt8(ascii: "H"), _): return .home
            case (UInt8(ascii: "F"), _): return .end
            case (UInt8(ascii: "~"), [UInt8(ascii: "1")]), (UInt8(ascii: "~"), [UInt8(ascii: "7")]): return .home
            case (UInt8(ascii: "~"), [UInt8(ascii: "4")]), (UInt8(ascii: "~"), [UInt8(ascii: "8")]): return .end
            case (UInt8(ascii: "~"), [UInt8(ascii: "3")]): return .delete
            default: return .unknown
            }
        }
        return .unknown
    }

    /// Prompt, line, erase the rest of the screen line, then the cursor back to its place.
    private func redraw(_ prompt: String, _ state: LineEditState) {
        var text = "\r" + prompt + String(String.UnicodeScalarView(state.line)) + "\u{1B}[K"
        let back = state.line.count - state.cursor
        if back > 0 { text += "\u{1B}[\(back)D" }
        write(text)
    }

    private func readByte() -> UInt8? {
        var byte: UInt8 = 0
        while true {
            let n = Foundation.read(input, &byte, 1)
            if n == 1 { return byte }
            if n < 0 && errno == EINTR { continue }
            return nil
        }
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.write(output, $0.baseAddress! + done, $0.count - done) }
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            done += n
        }
    }
}

/// Bytes of UTF-8 gathered into scalars (an invalid sequence is dropped).
struct UTF8Bytes {
    private var pending: [UInt8] = []

    mutating func add(_ byte: UInt8) -> Unicode.Scalar? {
        pending.append(byte)
        let expected = pending[0] < 0x80 ? 1 : pending[0] >= 0xF0 ? 4 : pending[0] >= 0xE0 ? 3 : 2
        guard pending.count >= expected else { return nil }
        defer { pending = [] }
        return String(validating: pending, as: UTF8.self)?.unicodeScalars.first
    }
}
