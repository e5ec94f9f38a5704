// A library with a class of its own, loaded and unloaded by `memprof-workload plugin`
// (built by TypeCensusTests with swiftc -emit-library -module-name CensusPlugin).
public final class Widget {
    let serial: Int
    init(serial: Int) { self.serial = serial }
}

nonisolated(unsafe) var keptWidgets: [Widget] = []
nonisolated(unsafe) var lastWidget: Widget?

/// Makes `count` Widgets and keeps one in `keepOneIn`; returns how many are kept.
@_cdecl("plugin_make")
public func pluginMake(_ count: Int, _ keepOneIn: Int) -> Int {
    for i in 0..<count {
        let w = Widget(serial: i)
        lastWidget = w
        if i % keepOneIn == 0 { keptWidgets.append(w) }
    }
    lastWidget = nil
    return keptWidgets.count
}

/// One Widget, retained for the caller (C hands it to another thread).
@_cdecl("plugin_make_one")
public func pluginMakeOne(_ serial: Int) -> UnsafeMutableRawPointer {
    Unmanaged.passRetained(Widget(serial: serial)).toOpaque()
}

/// Releases a Widget of plugin_make_one (its last reference: it is freed here).
@_cdecl("plugin_release")
public func pluginRelease(_ widget: UnsafeMutableRawPointer) {
    Unmanaged<Widget>.fromOpaque(widget).release()
}
