#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock formatting in the local time zone (`TZ`, else `/etc/localtime`), as pprof
/// prints a profile's time.
enum LocalTime {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Go's layout `Jan 2, 2006 at 3:04pm (MST)` for nanoseconds since the Unix epoch.
    static func pprofTimestamp(nanos: Int64) -> String {
        var seconds = nanos / 1_000_000_000
        if nanos % 1_000_000_000 < 0 { seconds -= 1 }
        var t = time_t(seconds)
        var parts = tm()
        tzset()
        guard localtime_r(&t, &parts) != nil else { return "" }
        let month = months[Int(parts.tm_mon) % 12]
        let hour24 = Int(parts.tm_hour)
        let hour12 = hour24 % 12 == 0 ? 12 : hour24 % 12
        let minute = Int(parts.tm_min)
        let zone = parts.tm_zone.map { String(cString: $0) } ?? ""
        return "\(month) \(parts.tm_mday), \(Int(parts.tm_year) + 1900) at \(hour12):"
            + (minute < 10 ? "0" : "") + "\(minute)" + (hour24 < 12 ? "am" : "pm") + " (\(zone))"
    }
}
