import Foundation

/// One smaps entry in the kernel's layout (path padded to column 74).
func smapsEntry(_ range: String, _ perms: String, path: String = "", rss: Int = 0, dirty: Int = 0,
                swap: Int = 0, flags: String? = "rd wr mr mw me ac") -> String {
    let isFile = path.hasPrefix("/")
    let head = "\(range) \(perms) 00000000 \(isFile ? "fe:00 254163" : "00:00 0")"
    var text = path.isEmpty ? head + " \n" : head + String(repeating: " ", count: max(1, 73 - head.count)) + path + "\n"
    let bounds = range.split(separator: "-").map { UInt64($0, radix: 16)! }
    let size = (bounds[1] - bounds[0]) / 1024
    text += "Size:           \(size) kB\nKernelPageSize:        4 kB\nRss:           \(rss) kB\n"
    text += "Pss:           \(rss / 2) kB\nPss_Dirty:           0 kB\nShared_Clean:          0 kB\n"
    text += "Private_Dirty:  \(dirty) kB\nAnonymous:      \(dirty) kB\nSwap:           \(swap) kB\nTHPeligible:    0\n"
    if let flags { text += "VmFlags: \(flags) \n" }
    return text
}
