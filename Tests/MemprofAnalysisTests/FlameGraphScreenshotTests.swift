import Foundation
import MemprofAnalysis
import XCTest

/// The flame graph page rendered by headless Chromium (Debian's `chromium` package): the
/// screenshot must show boxes in flame colours, labels, and magenta search matches when a
/// search is given in the URL (`#search=...`); a blank page is the control.
final class FlameGraphScreenshotTests: XCTestCase {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    /// Screenshots are kept here for people to look at: one directory per test process
    /// (Chromium refuses a profile directory another Chromium is using).
    static let outputDir = GoPprof.scratch.appendingPathComponent("flame-screenshots-\(getpid())")

    func screenshot(_ html: String, name: String, fragment: String = "") throws -> (PNGImage, Int) {
        let chromium = try XCTUnwrap(Self.chromium, "chromium is needed: apt-get install -y chromium")
        try FileManager.default.createDirectory(at: Self.outputDir, withIntermediateDirectories: true)
        let page = Self.outputDir.appendingPathComponent(name + ".html")
        let png = Self.outputDir.appendingPathComponent(name + ".png")
        try html.write(to: page, atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(at: png)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                       "--user-data-dir=" + Self.outputDir.appendingPathComponent("profile").path,
                       "--screenshot=" + png.path, "--window-size=1200,800", page.absoluteString + fragment]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && Date() < deadline { usleep(100_000) }
        if p.isRunning {
            p.terminate()
            XCTFail("chromium did not finish in 120 s")
        }
        let bytes = try [UInt8](Data(contentsOf: png))
        return (try PNGImage(bytes), bytes.count)
    }

    /// The page's DOM after its scripts ran (`chromium --dump-dom`).
    func renderedDOM(_ html: String, name: String) throws -> String {
        let chromium = try XCTUnwrap(Self.chromium, "chromium is needed: apt-get install -y chromium")
        try FileManager.default.createDirectory(at: Self.outputDir, withIntermediateDirectories: true)
        let page = Self.outputDir.appendingPathComponent(name + ".html")
        try html.write(to: page, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1200,800",
                       "--user-data-dir=" + Self.outputDir.appendingPathComponent("profile").path,
                       "--dump-dom", page.absoluteString]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Hover, click to zoom, the full-names switch and the sample type selector, driven by
    /// synthetic events in Chromium; the tooltip and status line must say the right things.
    func testInteractionsInChromium() throws {
        let harness = """
            <script>
            (function () {
              var out = [], canvas = document.getElementById("canvas");
              function at(x, row) {
                var r = canvas.getBoundingClientRect();
                return { clientX: r.left + x, clientY: r.top + row * 18 + 9, bubbles: true };
              }
              function tip() { return document.getElementById("tooltip").innerText.replace(/\\n/g, " | "); }
              function status() { return document.getElementById("status").textContent; }
              canvas.dispatchEvent(new MouseEvent("mousemove", at(30, 2)));
              out.push("hover: " + tip());
              canvas.dispatchEvent(new MouseEvent("click", at(30, 2)));
              out.push("zoomed: " + status());
              canvas.dispatchEvent(new MouseEvent("mousemove", at(30, 3)));
              out.push("hover in zoom: " + tip());
              document.getElementById("full-names").click();
              out.push("full names: " + status());
              var select = document.getElementById("sample-type");
              select.value = "1";
              select.dispatchEvent(new Event("change"));
              out.push("alloc_space: " + status());
              var pre = document.createElement("pre");
              pre.id = "harness";
              pre.textContent = out.join("\\n");
              document.body.appendChild(pre);
            })();
            </script>
            </body>
            """
        let page = try FlameGraphTests.page()
            .replacingOccurrences(of: "</body>", with: harness)
        let dom = try renderedDOM(page, name: "flame-interactions")
        let start = try XCTUnwrap(dom.range(of: "<pre id=\"harness\">"), "harness output missing: \(dom.suffix(500))")
        let end = try XCTUnwrap(dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex))
        let lines = dom[start.upperBound..<end.lowerBound].split(separator: "\n").map {
            $0.replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&amp;", with: "&")
        }
        print("flame interactions:\n" + lines.joined(separator: "\n"))
        XCTAssertEqual(lines, [
            "hover: Model.load() -> () | 59MB (91.47% of total) | self: 0",
            "zoomed: Total inuse_space: 64.50MB · zoomed on Model.load() -> () (91.47%)",
            "hover in zoom: specialized Array.append(__owned A) -> () | 24MB (37.21% of total) | self: 0"
                + " | 40.68% of Model.load() -> ()",
            "full names: Total inuse_space: 64.50MB · zoomed on main.Model.load() -> () (91.47%)",
            "alloc_space: Total alloc_space: 129.50MB",
        ])
    }

    static func isFlameColour(_ p: (r: UInt8, g: UInt8, b: UInt8)) -> Bool {
        p.r > 200 && p.g > 40 && p.g < 215 && p.b < 130 && p.r > p.g
    }

    static func isMagenta(_ p: (r: UInt8, g: UInt8, b: UInt8)) -> Bool { p.r > 180 && p.g < 110 && p.b > 160 }

    func testChromiumRendersTheFlameGraph() throws {
        let html = try FlameGraphTests.page()
        let (image, size) = try screenshot(html, name: "flame")
        let (blank, blankSize) = try screenshot("<!DOCTYPE html><html><body></body></html>", name: "blank")
        XCTAssertEqual(image.width, 1200)
        XCTAssertEqual(image.height, 800)
        XCTAssertEqual(Set(blank.pixels.map { "\($0.r),\($0.g),\($0.b)" }).count, 1, "the control is blank")
        XCTAssertGreaterThan(size, 3 * blankSize)

        let colours = Set(image.pixels.map { "\($0.r >> 3),\($0.g >> 3),\($0.b >> 3)" })
        let flame = image.pixels.filter(Self.isFlameColour).count
        let dark = image.pixels.filter { Int($0.r) + Int($0.g) + Int($0.b) < 150 }.count
        print("flame screenshot: \(colours.count) colours, \(flame) flame-coloured pixels, \(dark) dark (text) pixels;"
            + " \(size) bytes vs \(blankSize) for a blank page; in \(Self.outputDir.path)")
        XCTAssertGreaterThan(colours.count, 30, "boxes of many colours and anti-aliased labels")
        XCTAssertGreaterThan(flame, 1200 * 18 * 3, "at least three rows of boxes across the page")
        XCTAssertGreaterThan(dark, 500, "labels are drawn")
        XCTAssertEqual(image.pixels.filter(Self.isMagenta).count, 0, "nothing is highlighted without a search")

        let (searched, _) = try screenshot(html, name: "flame-search", fragment: "#search=Model")
        let magenta = searched.pixels.filter(Self.isMagenta).count
        XCTAssertGreaterThan(magenta, 5000, "boxes matching the search are magenta")
    }
}
