// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "tom-node",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tom-node", targets: ["tom-node"]),
        .executable(name: "tom-load", targets: ["tom-load"]),
        .executable(name: "tom-harness", targets: ["tom-harness"]),
    ],
    // `swift build --traits TLS`: wss:// with --tls-cert/--tls-key (Sources/TomServer/ServerTLS.swift).
    // Off by default: NIOSSL (BoringSSL) adds minutes to every clean build, CI's included.
    traits: [
        .trait(name: "TLS", description: "Serve wss:// and https:// through NIOSSL (--tls-cert, --tls-key)."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        // Already in the graph through Hummingbird; built only with the TLS trait.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // libsodium from Debian's libsodium-dev, found through pkg-config.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        // The data directory: crash-safe files, created with private permissions.
        .target(name: "TomStore"),
        .target(
            name: "TomCrypto",
            dependencies: [
                "CSodium",
                "TomStore",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "TomSignaling",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ]
        ),
        .target(
            name: "TomServer",
            dependencies: [
                "TomCrypto",
                "TomSignaling",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["TLS"])),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Strict, total bencode codec (BEP 3) with exact raw spans for signing.
        .target(name: "Bencode"),
        // The sans-IO Mainline DHT core: no NIO, no clock, no global randomness.
        .target(name: "TomDHT", dependencies: ["Bencode", "TomCrypto"]),
        // The SwiftNIO UDP driver that runs one DHTNode on an event loop, with state saving.
        .target(
            name: "TomDHTNIO",
            dependencies: [
                "TomDHT",
                "Bencode",
                "TomCrypto",
                "TomStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The migration layer: topic, signed roster pages, gateway links, the DHT-backed hub.
        .target(
            name: "TomGateway",
            dependencies: [
                "TomSignaling",
                "TomDHT",
                "TomCrypto",
                "Bencode",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // A gateway on real sockets: DHT membership and roster puts, link dialling.
        .target(
            name: "TomGatewayNIO",
            dependencies: [
                "TomGateway",
                "TomDHT",
                "TomDHTNIO",
                "TomWebSocketClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A small NIOWebSocket client for tests and the load tool (no TLS, so no NIOSSL build).
        .target(
            name: "TomWebSocketClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "tom-node",
            dependencies: [
                "TomServer",
                "TomGateway",
                "TomGatewayNIO",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                "TomCrypto",
                "TomDHTNIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "tom-load",
            dependencies: [
                "TomWebSocketClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Conformance and migration checks against real servers and processes.
        .executableTarget(
            name: "tom-harness",
            dependencies: [
                "TomWebSocketClient",
                "TomCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The multi-node DHT simulator: scenario engine and reports, and its command line.
        .target(name: "TomSim", dependencies: ["TomDHT", "Bencode", "TomGateway", "TomSignaling"]),
        .executableTarget(
            name: "tom-sim",
            dependencies: ["TomSim", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "BencodeTests", dependencies: ["Bencode"]),
        .testTarget(name: "TomDHTTests", dependencies: ["TomDHT", "Bencode"]),
        .testTarget(name: "TomSimTests", dependencies: ["TomSim", "TomDHT", "Bencode"]),
        .testTarget(
            name: "TomDHTNIOTests",
            dependencies: [
                "TomDHTNIO",
                "TomDHT",
                "Bencode",
                "TomStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TomGatewayTests",
            dependencies: ["TomGateway", "TomSignaling", "TomDHT", "TomCrypto", "Bencode", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(name: "TomCryptoTests", dependencies: ["TomCrypto", "TomStore"]),
        .testTarget(name: "TomHarnessTests", dependencies: ["tom-harness"]),
        .testTarget(
            name: "TomLoadTests",
            dependencies: ["tom-load", "TomWebSocketClient", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "TomSignalingTests",
            dependencies: ["TomSignaling", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "TomServerTests",
            dependencies: [
                "TomServer",
                "TomGateway",
                "TomGatewayNIO",
                "TomDHT",
                "TomCrypto",
                "TomSignaling",
                "TomWebSocketClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)
