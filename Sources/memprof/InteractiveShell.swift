import Foundation
import MemprofAnalysis
import MemprofProfile

/// The interpreter behind `memprof FILE`: pprof's interactive commands over one profile.
///
/// A line is a command (`top5`, `top -cum 20`, `peek main`, `traces`, `help`, `o`), an
/// assignment that changes the options of later commands (`sample_index=alloc_space`,
/// `nodecount=20`, `focus=regex`, `cum=true`), or a bare option name (`cum`, `flat`, `lines`,
/// `alloc_space`). As in pprof, words after a command are temporary: a number sets the node
/// count, `-cum` sorts by cumulative value, `-regex` ignores, any other word focuses.
struct InteractiveShell {
    /// What a line produced.
    enum Outcome: Equatable {
        /// Text for standard output (may be empty).
        case output(String)
        /// A one-line error; the shell goes on.
        case error(String)
        /// `quit` or `exit`.
        case quit
    }

    /// The profile and the options in effect.
    var session: AnalysisSession

    /// Report commands the shell knows, by name: how to make the report from its argument.
    /// A report that needs an argument (peek's regex) is built with it.
    static let reports: [String: (argument: String?, make: (String) -> any Report)] = [
        "top": (nil, { _ in TopReport() }),
        "traces": (nil, { _ in TracesReport() }),
        "peek": ("regex", { PeekReport($0) }),
        "list": ("regex", { ListReport($0) }),
    ]

    static let granularities = Set(Granularity.allCases.map(\.rawValue))

    /// Runs one line.
    mutating func execute(_ line: String) -> Outcome {
        let input = line.trimmingSpaces
        if input.isEmpty || input.hasPrefix("#") { return .output("") }
        if input == ":" {
            session.options.focus = nil; session.options.ignore = nil; session.options.hide = nil
            session.options.show = nil; session.options.showFrom = nil
            return .output("")
        }
        if let eq = input.firstIndex(of: "=") {
            let name = String(input[..<eq]).trimmingSpaces
            let value = String(input[input.index(after: eq)...]).trimmingSpaces
            return assign(name, value)
        }
        let words = input.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        switch words[0] {
        case "quit", "exit", "q": return .quit
        case "help", "?": return .output(ShellHelp.text(for: words.dropFirst().first))
        case "o", "options": return .output(optionsText())
        case "cum", "flat", "alloc_space", "alloc_objects", "inuse_space", "inuse_objects":
            return assign(words[0], "")
        case let g where InteractiveShell.granularities.contains(g):
            return assign("granularity", g)
        default: return runReport(words)
        }
    }

    /// `name=value`: sets an option for the following commands.
    mutating func assign(_ name: String, _ value: String) -> Outcome {
        var o = session.options
        switch name {
        case "sample_index":
            guard !value.isEmpty else { return .error("please input a value, e.g. sample_index=<val>") }
            do {
                let i = try session.profile.sampleIndex(named: value)
                o.sampleIndex = session.profile.sampleTypes[i].type
            } catch {
                return .error(error.message)
            }
        case "alloc_space", "alloc_objects", "inuse_space", "inuse_objects":
            return assign("sample_index", name)
        case "nodecount":
            guard let n = Int(value), n >= 0 else { return .error("nodecount must be a number of 0 or more, e.g. nodecount=20") }
            o.nodeCount = n
        case "nodefraction":
            guard let f = Double(value), f >= 0 else { return .error("nodefraction must be a number, e.g. nodefraction=0.01") }
            o.nodeFraction = f
        case "divide_by":
            // Any number, as pprof's shell takes it; a report with 0 says "zero divisor".
            guard let d = Double(value), d.isFinite else { return .error("divide_by must be a number, e.g. divide_by=1024") }
            o.divideBy = d
        case "cum":
            guard let b = InteractiveShell.bool(value) else { return .error("cum must be true or false") }
            o.cumulative = b
        case "flat":
            guard let b = InteractiveShell.bool(value) else { return .error("flat must be true or false") }
            o.cumulative = !b
        case "mean":
            guard let b = InteractiveShell.bool(value) else { return .error("mean must be true or false") }
            o.mean = b
        case "focus": o.focus = value.isEmpty ? nil : value
        case "ignore": o.ignore = value.isEmpty ? nil : value
        case "hide": o.hide = value.isEmpty ? nil : value
        case "show": o.show = value.isEmpty ? nil : value
        case "show_from": o.showFrom = value.isEmpty ? nil : value
        case "prune_from": o.pruneFrom = value.isEmpty ? nil : value
        case "unit": o.unit = value.isEmpty ? "minimum" : value
        case "granularity":
            guard let g = Granularity(rawValue: value) else {
                return .error("unrecognized value for granularity: \"\(value)\". Use one of "
                    + Granularity.allCases.map(\.rawValue).joined(separator: ", "))
            }
            o.granularity = g
        default:
            return .error("unrecognized option: \"\(name)\" (type \"o\" for the options)")
        }
        session.options = o
        return .output("")
    }

    /// `top10 -cum main`, `peek regex`, `traces`: a report with temporary extra options.
    func runReport(_ words: [String]) -> Outcome {
        var name = words[0]
        var args = Array(words.dropFirst())
        if InteractiveShell.reports[name] == nil, let digits = name.trailingDigits, digits.count < name.count {
            name = String(name.dropLast(digits.count))
            args.insert(digits, at: 0)
        }
        guard let entry = InteractiveShell.reports[name] else {
            return .error("unrecognized command: \"\(words[0])\" (type \"help\" for commands)")
        }
        var argument = ""
        if let what = entry.argument {
            guard !args.isEmpty else { return .error("command \(name) requires an argument: \(name) <\(what)>") }
            argument = args.removeFirst()
        }
        var o = session.options
        var focus: [String] = [], ignore: [String] = []
        for a in args {
            if let n = Int(a) {
                o.nodeCount = n
            } else if a == "-cum" || a == "--cum" {
                o.cumulative = true
            } else if a.hasPrefix("-") {
                ignore.append(String(a.dropFirst()))
            } else {
                focus.append(a)
            }
        }
        if !focus.isEmpty { o.focus = ([o.focus].compactMap { $0 } + focus).joined(separator: "|") }
        if !ignore.isEmpty { o.ignore = ([o.ignore].compactMap { $0 } + ignore).joined(separator: "|") }
        if name == "top" && o.nodeCount == nil { o.nodeCount = 10 }
        do {
            let view = AnalysisSession(profile: session.profile, options: o)
            let text = try view.render(entry.make(argument))
            return .output(name == "top" || name == "peek" ? InteractiveShell.withoutLegend(text) : text)
        } catch {
            return .error(Diagnostics.message(for: error))
        }
    }

    /// A report without the profile's legend (File, Type, Time, comments), which the greeting
    /// already showed: pprof's shell prints top and peek from their filters or totals on.
    static func withoutLegend(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("Active filters:") || $0.hasPrefix("Showing nodes") })
        else { return text }
        return lines[start...].joined(separator: "\n")
    }

    /// The options in effect, one per line, as pprof's `o` prints them.
    func optionsText() -> String {
        let o = session.options
        let types = session.profile.sampleTypes.map(\.type)
        let current = (try? session.profile.sampleIndex(named: o.sampleIndex)).map { types[$0] } ?? ""
        let rows: [(String, String, String)] = [
            ("cum", o.cumulative ? "true" : "false", "sort by cumulative value (else flat)"),
            ("divide_by", InteractiveShell.goFloat(o.divideBy), "every value is divided by it"),
            ("focus", o.focus ?? "", ""), ("granularity", o.granularity.rawValue,
             "[" + Granularity.allCases.map(\.rawValue).joined(separator: " | ") + "]"),
            ("hide", o.hide ?? "", ""), ("ignore", o.ignore ?? "", ""),
            ("mean", o.mean ? "true" : "false", "values per count (block and mutex profiles)"),
            ("nodecount", o.nodeCount.map(String.init) ?? "-1", o.nodeCount == nil ? "default" : ""),
            ("nodefraction", InteractiveShell.goFloat(o.nodeFraction), ""),
            ("sample_index", current, "[" + types.joined(separator: " | ") + "]"),
            ("show", o.show ?? "", ""), ("show_from", o.showFrom ?? "", ""), ("unit", o.unit, ""),
        ]
        return rows.map { name, value, comment in
            let v = value.isEmpty ? "\"\"" : value
            let line = "  " + name.padded(25) + " = " + v.padded(20) + (comment.isEmpty ? "" : " //: " + comment)
            return line.trimmingTrailingSpaces + "\n"
        }.joined()
    }

    /// A number as Go's `%v` prints a float64: its shortest digits, in exponent form when the
    /// exponent is below -4 or 6 and above (2 as "2", 0.5 as "0.5", 1e6 as "1e+06").
    static func goFloat(_ d: Double) -> String {
        guard d.isFinite else { return d.isNaN ? "NaN" : (d < 0 ? "-Inf" : "+Inf") }
        if d == 0 { return d.sign == .minus ? "-0" : "0" }
        // The fewest significant digits that read back as d, as "-d.ddde+XX".
        var e = ""
        for digits in 1...17 {
            e = String(format: "%.\(digits - 1)e", d)
            if Double(e) == d { break }
        }
        guard let at = e.firstIndex(of: "e"), let exponent = Int(e[e.index(after: at)...]) else { return e }
        var mantissa = String(e[..<at])
        if mantissa.contains(".") {
            while mantissa.hasSuffix("0") { mantissa.removeLast() }
            if mantissa.hasSuffix(".") { mantissa.removeLast() }
        }
        if exponent < -4 || exponent >= 6 {
            let sign = exponent < 0 ? "-" : "+"
            let magnitude = String(abs(exponent))
            return mantissa + "e" + sign + (magnitude.count < 2 ? "0" + magnitude : magnitude)
        }
        let significant = mantissa.filter(\.isNumber).count
        return String(format: "%.\(max(significant - 1 - exponent, 0))f", d)
    }

    static func bool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "", "t", "true", "1", "yes", "y": return true
        case "f", "false", "0", "no", "n": return false
        default: return nil
        }
    }
}

extension String {
    var trimmingSpaces: String {
        let chars = Array(self)
        guard let first = chars.firstIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" }) else { return "" }
        let last = chars.lastIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" })!
        return String(chars[first...last])
    }

    var trimmingTrailingSpaces: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }

    /// The decimal digits this string ends with, if any (`top10` -> `10`).
    var trailingDigits: String? {
        let digits = String(reversed().prefix(while: { $0.isASCII && $0.isNumber }).reversed())
        return digits.isEmpty ? nil : digits
    }

    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
