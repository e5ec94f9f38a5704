// swift-tools-version:6.0
import PackageDescription

// Dependency direction (arrows point down only; see DESIGN in the README):
//   CMemprofHook (C)        MemprofProfile (stdlib + zlib)
//        ^                    ^          ^           ^
//      Memprof  -----------  +  --  MemprofSymbolication
//        ^                                ^
//   MemprofHTTP (+NIO)              MemprofAnalysis
//                                         ^
//                                    memprof (CLI)
let package = Package(
    name: "swift-memprof",
    products: [
        .library(name: "Memprof", targets: ["Memprof"]),
        .library(name: "MemprofProfile", targets: ["MemprofProfile"]),
        .library(name: "MemprofSymbolication", targets: ["MemprofSymbolication"]),
        .library(name: "MemprofAnalysis", targets: ["MemprofAnalysis"]),
        .library(name: "MemprofHTTP", targets: ["MemprofHTTP"]),
        // The hook alone, for LD_PRELOAD into unmodified programs.
        .library(name: "MemprofPreload", type: .dynamic, targets: ["CMemprofHook"]),
        .executable(name: "memprof", targets: ["memprof"]),
        .executable(name: "memprof-demo", targets: ["memprof-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // No unsafe flags here: they would make the package unusable as a dependency.
        .target(
            name: "CMemprofHook",
            exclude: ["hooked_symbols.def", "module_table.h"],
            linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("dl")]
        ),
        .target(
            name: "CMemprofZlib",
            linkerSettings: [.linkedLibrary("z")]
        ),
        .target(name: "MemprofProfile", dependencies: ["CMemprofZlib"]),
        .target(name: "MemprofSymbolication", dependencies: ["MemprofProfile"]),
        .target(name: "Memprof", dependencies: ["CMemprofHook", "MemprofProfile", "MemprofSymbolication"]),
        .target(name: "MemprofAnalysis", dependencies: ["MemprofProfile", "MemprofSymbolication"]),
        .target(
            name: "MemprofHTTP",
            dependencies: [
                "Memprof",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                // Read at scrape time from the exact counters: no swift-metrics mirror.
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // A service that allocates on several threads and serves the endpoints: for the
        // real-socket tests, the Prometheus scrape and the load test.
        .executableTarget(name: "memprof-http-demo", dependencies: ["MemprofHTTP"]),
        .executableTarget(
            name: "memprof",
            dependencies: [
                "Memprof", "MemprofAnalysis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            plugins: ["BuildPreloadLibrary"]
        ),
        .plugin(name: "BuildPreloadLibrary", capability: .buildTool()),
        .executableTarget(name: "memprof-demo", dependencies: ["Memprof", "MemprofAnalysis"]),
        // Allocation patterns with known counts, for tests and benchmarks.
        .target(name: "MemprofWorkloads"),
        .executableTarget(name: "memprof-workload", dependencies: ["MemprofWorkloads"]),
        .executableTarget(name: "memprof-workload-linked", dependencies: ["Memprof", "MemprofWorkloads"]),
        .testTarget(name: "MemprofProfileTests", dependencies: ["MemprofProfile"], exclude: ["Fixtures", "Golden"]),
        .testTarget(name: "MemprofSymbolicationTests", dependencies: ["MemprofSymbolication"]),
        .testTarget(name: "MemprofTests", dependencies: ["Memprof"]),
        .testTarget(name: "MemprofAnalysisTests", dependencies: ["MemprofAnalysis"], exclude: ["Golden", "GoPrograms"]),
        .testTarget(
            name: "MemprofHTTPTests",
            dependencies: [
                "MemprofHTTP", "Memprof", "MemprofProfile", "CMemprofHook",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "MemprofCLITests", dependencies: ["Memprof"], exclude: ["Support", "Golden"]),
    ],
    swiftLanguageModes: [.v5]
)
