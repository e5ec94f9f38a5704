/// Units of sample values and how pprof prints them.
///
/// pprof knows three families of units (memory, time, Google compute units). A value in a
/// known unit is printed scaled to the largest unit of its family in which it is at least 1
/// (`512.20kB`, `1.50s`), with two decimals and a trailing `.00` removed. Unknown units are
/// printed as the raw number followed by the unit; `count`-like units print the bare number.
public enum Measurement {
    struct Unit {
        var name: String
        var aliases: [String]
        var factor: Double
    }

    struct Family {
        var units: [Unit]
        var defaultUnit: Unit

        /// The unit a spelling refers to: case-insensitive, a plural `s` is dropped when the
        /// spelling is longer than two characters.
        func find(_ spelling: String) -> Unit? {
            var s = spelling.lowercased()
            if s.utf8.count > 2, s.hasSuffix("s") { s.removeLast() }
            return units.first { $0.aliases.contains(s) }
        }

        func autoScale(_ value: Double) -> (Double, String)? {
            var factor = 0.0
            var name = ""
            for u in units where u.factor >= factor && value / u.factor >= 1.0 {
                factor = u.factor
                name = u.name
            }
            return factor == 0 ? nil : (value / factor, name)
        }

        func convert(_ value: Int64, from: String, to: String) -> (Double, String)? {
            guard let fromUnit = find(from) else { return nil }
            let v = Double(value) * fromUnit.factor
            if to == "minimum" || to == "auto" {
                return autoScale(v) ?? (v / defaultUnit.factor, defaultUnit.name)
            }
            guard let toUnit = find(to) else { return (v / defaultUnit.factor, defaultUnit.name) }
            return (v / toUnit.factor, toUnit.name)
        }
    }

    static let families: [Family] = {
        let byte = Unit(name: "B", aliases: ["b", "byte"], factor: 1)
        let memory = Family(units: [
            byte,
            Unit(name: "kB", aliases: ["kb", "kbyte", "kilobyte"], factor: 1024),
            Unit(name: "MB", aliases: ["mb", "mbyte", "megabyte"], factor: 1_048_576),
            Unit(name: "GB", aliases: ["gb", "gbyte", "gigabyte"], factor: 1_073_741_824),
            Unit(name: "TB", aliases: ["tb", "tbyte", "terabyte"], factor: 1_099_511_627_776),
            Unit(name: "PB", aliases: ["pb", "pbyte", "petabyte"], factor: 1_125_899_906_842_624),
        ], defaultUnit: byte)
        let time = Family(units: [
            Unit(name: "ns", aliases: ["ns", "nanosecond"], factor: 1),
            Unit(name: "us", aliases: ["μs", "us", "microsecond"], factor: 1e3),
            Unit(name: "ms", aliases: ["ms", "millisecond"], factor: 1e6),
            Unit(name: "s", aliases: ["s", "sec", "second"], factor: 1e9),
            Unit(name: "hrs", aliases: ["hour", "hr"], factor: 3.6e12),
        ], defaultUnit: Unit(name: "s", aliases: [], factor: 1e9))
        let gcu = Family(units: [
            Unit(name: "n*GCU", aliases: ["nanogcu"], factor: 1e-9),
            Unit(name: "u*GCU", aliases: ["microgcu"], factor: 1e-6),
            Unit(name: "m*GCU", aliases: ["milligcu"], factor: 1e-3),
            Unit(name: "GCU", aliases: ["gcu"], factor: 1),
            Unit(name: "k*GCU", aliases: ["kilogcu"], factor: 1e3),
            Unit(name: "M*GCU", aliases: ["megagcu"], factor: 1e6),
            Unit(name: "G*GCU", aliases: ["gigagcu"], factor: 1e9),
            Unit(name: "T*GCU", aliases: ["teragcu"], factor: 1e12),
            Unit(name: "P*GCU", aliases: ["petagcu"], factor: 1e15),
        ], defaultUnit: Unit(name: "GCU", aliases: [], factor: 1))
        return [memory, time, gcu]
    }()

    /// Converts `value` from `fromUnit` to `toUnit`, returning the scaled number and the unit
    /// to print after it (empty for uninteresting units such as `count`).
    ///
    /// `toUnit` may be `"minimum"` or `"auto"` to pick the largest unit in which the value is
    /// at least 1.
    public static func scale(_ value: Int64, from fromUnit: String, to toUnit: String) -> (value: Double, unit: String) {
        if value < 0 && 0 &- value > 0 {
            let (v, u) = scale(0 &- value, from: fromUnit, to: toUnit)
            return (-v, u)
        }
        for family in families {
            if let r = family.convert(value, from: fromUnit, to: toUnit) { return r }
        }
        switch toUnit {
        case "count", "sample", "unit", "minimum", "auto": return (Double(value), "")
        default: return (Double(value), toUnit)
        }
    }

    /// A value with its unit, scaled automatically (`1.50MB`, `30s`, `12`).
    public static func label(_ value: Int64, unit: String) -> String {
        scaledLabel(value, from: unit, to: "auto")
    }

    /// A value converted to `toUnit` and printed with two decimals, `.00` removed.
    public static func scaledLabel(_ value: Int64, from fromUnit: String, to toUnit: String) -> String {
        let (v, u) = scale(value, from: fromUnit, to: toUnit)
        var s = GoFormat.fixed(v, precision: 2)
        if s.hasSuffix(".00") { s.removeLast(3) }
        if s == "0" || s == "-0" { return "0" }
        return s + u
    }

    /// `value` as a percentage of `total`, at least two significant digits, padded to six
    /// characters the way pprof's columns expect (`  100%`, `50.01%`, `0.058%`, `    0%`).
    /// The sign of `value` is dropped.
    public static func percentage(_ value: Int64, of total: Int64) -> String {
        var ratio = 0.0
        if total != 0 { ratio = abs(Double(value) / Double(total)) * 100 }
        if ratio >= 99.95 && ratio <= 100.05 { return "  100%" }
        if ratio >= 1.0 { return GoFormat.fixed(ratio, precision: 2, width: 5) + "%" }
        return GoFormat.general(ratio, precision: 2, width: 5) + "%"
    }
}
