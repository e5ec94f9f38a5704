// swift-tools-version:6.0
// Coverage-guided fuzz targets (libFuzzer) for the parsers that read untrusted input. Kept
// out of the main package so `swift build` there needs no sanitizer. Build and run them with
// `Scripts/fuzz.sh`; see README.md here.
import Foundation
import PackageDescription

// The main package is the parent directory; its identity is that directory's name.
let parent = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let main = parent.lastPathComponent

let package = Package(
    name: "memprof-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "CFuzzerDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzerDriver"]),
        .executableTarget(
            name: "FuzzProfileDecoder",
            dependencies: ["FuzzSupport", .product(name: "MemprofProfile", package: main)]),
        .executableTarget(
            name: "FuzzProfileModel",
            dependencies: ["FuzzSupport", .product(name: "MemprofProfile", package: main)]),
        .executableTarget(
            name: "FuzzHTTPRequest",
            dependencies: [
                "FuzzSupport",
                .product(name: "MemprofHTTP", package: main),
                .product(name: "Memprof", package: main),
            ]),
        .executableTarget(
            name: "FuzzELFSymbolizer",
            dependencies: ["FuzzSupport", .product(name: "MemprofSymbolication", package: main)]),
    ],
    swiftLanguageModes: [.v5]
)
