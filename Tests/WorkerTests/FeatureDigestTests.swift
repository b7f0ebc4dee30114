// The encoder digest that keys stored features: weights and precision, never an unresolved precision.
import Foundation
import Model
import Tensor
import Testing
import Worker

@Suite("Feature digest")
struct FeatureDigestTests {
    @Test("fp32, bf16 and int8 features get three digests; fp32's is the weights' alone; auto is refused naming the model")
    func digestByPrecision() throws {
        let dir = try Assets.model(version: "v1")
        let fp32 = try EncoderDigest.of(directory: dir)
        #expect(try EncoderDigest.of(directory: dir, precision: .fp32) == fp32)
        let all = try [Precision.fp32, .bf16, .int8].map { try EncoderDigest.of(directory: dir, precision: $0) }
        #expect(Set(all).count == 3 && all.allSatisfy { $0.count == 32 }, "\(all)")
        do {
            _ = try EncoderDigest.of(directory: dir, precision: .auto)
            Issue.record("auto gave a digest")
        } catch {
            #expect("\(error)".contains(dir) && "\(error)".contains("auto"), "\(error)")
        }
    }

    @Test("a scorer keeping features at int8 stamps them with the int8 digest")
    func scorerDigest() throws {
        let dir = try Assets.model(version: "v1")
        let scorer = try MERCLIPScorer(modelDirectory: dir, keepFeatures: true, precision: .int8)
        #expect(scorer.featureDigest == (try EncoderDigest.of(directory: dir, precision: .int8)))
        #expect(try MERCLIPScorer(modelDirectory: dir, keepFeatures: true).featureDigest == (try EncoderDigest.of(directory: dir)))
    }
}
