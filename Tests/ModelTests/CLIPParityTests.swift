// HF CLIP checkpoints load as they are and give the reference image and text embeddings.
import Foundation
import Testing
@testable import Model
import Tensor

@Suite struct CLIPParityTests {
    @Test(arguments: Fixtures.shapes, Fixtures.backends)
    func imageAndTextEmbeddings(shape: String, backend: ComputeMode.Backend) throws {
        let clip = try CLIPModel(directory: Fixtures.model(shape, "clip"), mode: Fixtures.fp32(backend))
        let pixels = try Fixtures.npy(shape, "pixels.npy")
        expectClose(try clip.vision.embed(pixels), try Fixtures.npy(shape, "image_embeds.npy"), "\(shape) \(backend) image embeds")
        let ids = try Fixtures.tokenLines(shape)
        // batched with padding to the longest: the causal mask keeps results equal to one-by-one
        expectClose(try clip.text.embed(ids), try Fixtures.npy(shape, "text_embeds.npy"), "\(shape) \(backend) text embeds")
    }
}
