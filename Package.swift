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
        // The hook alone, for LD_PRELOAD into unmodified programs.
        .library(name: "MemprofPreload", type: .dynamic, targets: ["CMemprofHook"]),
        .executable(name: "memprof", targets: ["memprof"]),
        .executable(name: "memprof-demo", targets: ["memprof-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
        .executableTarget(
            name: "memprof",
            dependencies: [
                "Memprof", "MemprofAnalysis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            plugins: ["BuildPreloadLibrary"]
        ),
        .plugin(name: "BuildPreloadLibrary", capability: .buildTool()),
        .executableTarget(name: "memprof-demo", dependencies: ["Memprof"]),
        // Allocation patterns with known counts, for tests and benchmarks.
        .target(name: "MemprofWorkloads"),
        .executableTarget(name: "memprof-workload", dependencies: ["MemprofWorkloads"]),
        .executableTarget(name: "memprof-workload-linked", dependencies: ["Memprof", "MemprofWorkloads"]),
        .testTarget(name: "MemprofProfileTests", dependencies: ["MemprofProfile"], exclude: ["Fixtures", "Golden"]),
        .testTarget(name: "MemprofSymbolicationTests", dependencies: ["MemprofSymbolication"]),
        .testTarget(name: "MemprofTests", dependencies: ["Memprof"]),
        .testTarget(name: "MemprofAnalysisTests", dependencies: ["MemprofAnalysis"], exclude: ["Golden"]),
        .testTarget(name: "MemprofCLITests", dependencies: ["Memprof"], exclude: ["Support"]),
    ],
    swiftLanguageModes: [.v5]
)
