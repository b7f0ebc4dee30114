// swift-tools-version:6.0
// merclip: a Kafka stream processor that scores emotion and sentiment with MER-CLIP.
//
// Layers, bottom up:
//   C*        system libraries (librdkafka, OpenBLAS, oneDNN, FFmpeg, libsndfile, libpq); CKernels (attention,
//             the int8 product, quantisation) and CResample (the frame resize): vector kernels in C
//   Tensor    float tensors, GEMM backends (OpenBLAS, oneDNN) and ops
//   Model     safetensors, CLIP encoders, BPE tokenizer, MER-CLIP
//   Media     demux/decode segments into frames, spectrograms and transcripts
//   Kafka     librdkafka wrapper: consumer, producer, dev broker (mock cluster)
//   Sinks     Postgres (libpq) writer and migrations
//   Worker    the streaming pipeline: events → media → batched model → sinks → commits
//   merclip   the command-line tool
import PackageDescription

let package = Package(
    name: "merclip",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "merclip", targets: ["merclip"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CRDKafka", pkgConfig: "rdkafka",
                       providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev",
                                         "libswscale-dev", "libswresample-dev"])]),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile",
                       providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),

        // AVX2 kernels (attention blocks, the int8 activation passes), compiled for AVX2 function by function
        // and chosen at run time (CPUID); empty stubs off x86.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "Tensor", dependencies: ["COpenBLAS", "CDNNL", "CKernels"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        .target(name: "Model", dependencies: ["Tensor"]),
        // Optimised in debug builds too: the frame resampler's vector code is ~100× slower unoptimised.
        .target(name: "CResample", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "Media", dependencies: ["CFFmpeg", "CSndFile", "CResample", "Tensor",
                                              .product(name: "Logging", package: "swift-log")],
                swiftSettings: [.unsafeFlags(["-O"])]),
        .target(name: "Kafka", dependencies: ["CRDKafka", .product(name: "Logging", package: "swift-log")]),
        .target(name: "Sinks", dependencies: ["CLibPQ"]),
        .target(name: "Worker", dependencies: ["Kafka", "Sinks", "Media", "Model", "Tensor",
                                               .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "merclip", dependencies: [
            "Tensor", "Model", "Media", "Kafka", "Sinks", "Worker",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .target(name: "TestSupport", dependencies: ["Sinks"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Tensor"]),
        .testTarget(name: "MediaTests", dependencies: ["Media", "CResample", "Tensor"]),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "TestSupport"]),
        .testTarget(name: "SinksTests", dependencies: ["Sinks", "TestSupport"]),
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "Kafka", "Sinks", "Model", "Tensor", "TestSupport",
                                                   .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "CLITests", dependencies: ["Tensor", "Sinks", "TestSupport"]),
        .testTarget(name: "DeployTests", dependencies: ["Sinks", "TestSupport", .product(name: "Yams", package: "Yams")]),
    ]
)
