// swift-tools-version:6.0
import PackageDescription

// Layers, bottom to top (arrows point down only):
//   KeelBase      values, source locations, located errors: shared by every layer
//   KeelVault     Ansible Vault: the cipher, the envelope, the run's passwords
//   KeelTemplate  the Jinja2-compatible engine
//   KeelModel     YAML -> playbooks, roles, inventory, variables
//   KeelTransport connections: SSH (libssh2) and local
//   KeelACME      an ACME (RFC 8555) client on the controller: no host knowledge, used by the acme module
//   KeelLab       disposable lab hosts (network namespaces + overlay + sshd)
//   keel          the command line
let package = Package(
    name: "Keel",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "keel", targets: ["keel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
    ],
    targets: [
        .target(name: "KeelBase", dependencies: [
            .product(name: "OrderedCollections", package: "swift-collections"),
        ]),
        .target(name: "KeelTemplate", dependencies: [
            "KeelBase", "KeelVault", "Yams", .product(name: "OrderedCollections", package: "swift-collections"),
        ]),
        .target(name: "KeelVault", dependencies: [
            "KeelBase", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        .target(name: "KeelModel", dependencies: [
            "KeelBase", "KeelTemplate", "KeelVault", "Yams", .product(name: "OrderedCollections", package: "swift-collections"),
        ]),
        .systemLibrary(name: "CLibSSH2", pkgConfig: "libssh2",
                       providers: [.apt(["libssh2-1-dev"])]),
        .target(name: "KeelTransport", dependencies: [
            "KeelBase", "CLibSSH2", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "OrderedCollections", package: "swift-collections"),
        ]),
        // CKeelCurl: libcurl per request (a CA file of the user's choice, which URLSession on Linux cannot take).
        .target(name: "CKeelCurl", linkerSettings: [.linkedLibrary("curl")]),
        .target(name: "KeelACME", dependencies: [
            "KeelBase", "CKeelCurl", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        .target(name: "KeelModules", dependencies: [
            "KeelBase", "KeelTemplate", "KeelTransport", "KeelVault", "KeelACME",
            .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "OrderedCollections", package: "swift-collections"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "KeelReport", dependencies: [
            "KeelBase", .product(name: "OrderedCollections", package: "swift-collections"),
        ]),
        .target(name: "KeelEngine", dependencies: [
            "KeelBase", "KeelTemplate", "KeelModel", "KeelTransport", "KeelModules", "KeelReport",
            .product(name: "OrderedCollections", package: "swift-collections"),
        ]),
        .target(name: "KeelLab", dependencies: ["KeelBase"]),
        .target(name: "KeelHistory", dependencies: ["KeelBase", "KeelReport", .product(name: "GRDB", package: "GRDB.swift")]),
        .executableTarget(name: "keel", dependencies: [
            "KeelBase", "KeelTemplate", "KeelModel", "KeelTransport", "KeelModules", "KeelReport", "KeelEngine", "KeelLab", "KeelVault",
            "KeelHistory", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "KeelTestSupport", dependencies: ["KeelBase", "KeelLab", "KeelTransport"],
                path: "Tests/KeelTestSupport"),
        .testTarget(name: "KeelBaseTests", dependencies: ["KeelBase"]),
        .testTarget(name: "KeelVaultTests", dependencies: ["KeelVault", "KeelBase", "KeelTestSupport"]),
        .testTarget(name: "KeelTemplateTests", dependencies: ["KeelTemplate", "KeelBase", "KeelVault"],
                    resources: [.copy("Corpus")]),
        .testTarget(name: "KeelModelTests", dependencies: ["KeelModel", "KeelBase"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "KeelTransportTests", dependencies: ["KeelTransport", "KeelLab", "KeelTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "KeelLabTests", dependencies: ["KeelLab", "KeelTestSupport"]),
        .testTarget(name: "KeelModulesTests", dependencies: ["KeelModules", "KeelBase", "KeelTransport", "KeelLab", "KeelTestSupport",
                                                             "KeelEngine", "KeelReport", "KeelVault"]),
        .testTarget(name: "KeelSystemModulesTests", dependencies: ["KeelModules", "KeelBase", "KeelTransport", "KeelLab", "KeelTestSupport"]),
        .testTarget(name: "KeelReportTests", dependencies: ["KeelReport", "KeelBase", "KeelHistory"]),
        .testTarget(name: "KeelEngineTests", dependencies: ["KeelEngine", "KeelReport", "KeelModules", "KeelBase", "KeelLab", "KeelTestSupport", "KeelVault"],
                    exclude: ["Parity"]),
        .testTarget(name: "KeelPodmanImageTests", dependencies: ["KeelModules", "KeelBase", "KeelTransport", "KeelLab", "KeelTestSupport",
                                                                 "KeelEngine", "KeelReport"]),
        .testTarget(name: "KeelACMETests", dependencies: ["KeelACME", "KeelModules", "KeelBase", "KeelTransport", "KeelLab", "KeelTestSupport",
                                                          "KeelEngine", "KeelReport", "KeelModel", .product(name: "Crypto", package: "swift-crypto"),
                                                          .product(name: "X509", package: "swift-certificates"),
                                                          .product(name: "SwiftASN1", package: "swift-asn1")]),
    ]
)
