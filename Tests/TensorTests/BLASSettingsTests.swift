// The one BLAS thread setting and the OpenBLAS facts doctor prints.
import Tensor
import Testing

@Suite("BLAS settings")
struct BLASSettingsTests {
    @Test("setThreads changes OpenBLAS's thread count; config names the core")
    func threads() {
        let before = BLAS.threads
        BLAS.setThreads(1)
        #expect(BLAS.threads == 1)
        BLAS.setThreads(before)
        #expect(BLAS.threads == before)
        #expect(BLAS.config.contains("OpenBLAS"))
        #expect(!BLAS.coreName.isEmpty)
    }
}
