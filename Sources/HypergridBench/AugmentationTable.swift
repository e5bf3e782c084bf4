// The augmentation table: how fast the in-place minibatch augmentations run on one thread
// (CPU time), in samples/s, for a batch of 200 images of CIFAR-10's and Fashion-MNIST's
// shapes: a plain copy of the batch (the memory-bandwidth yardstick), the horizontal flip,
// the random crop (shift with zero fill) with padding 2 and 4, and MixUp (α = 0.2: the
// step's Beta draw and the mix into a second buffer, as training runs it). Each figure is the
// median of `samples` timed samples of about `sampleSeconds` each.
//
//   hypergrid-bench augment [--samples N] [--sample-ms T]
#if canImport(Glibc)
import Glibc
#endif
import HypergridKernel

func runAugmentationTable(_ arguments: ArraySlice<String>) {
    var samples = 7, sampleSeconds = 0.05
    var rest = arguments
    while let flag = rest.popFirst() {
        switch flag {
        case "--samples": samples = Int(rest.popFirst() ?? "") ?? samples
        case "--sample-ms": sampleSeconds = (Double(rest.popFirst() ?? "") ?? 50) / 1000
        default:
            fputs("hypergrid-bench augment: unknown argument \(flag)\n", stderr)
            exit(2)
        }
    }
    let batch = 200
    print("augmentations of a batch of \(batch) images, one thread, CPU time, median of \(samples) samples")
    print("| images | copy of the batch | flip | ÷ copy | crop P=2 | ÷ copy | crop P=4 | ÷ copy | MixUp | ÷ copy |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (name, shape) in [("CIFAR-10 32×32×3", ImageShape(height: 32, width: 32, channels: 3)),
                          ("Fashion-MNIST 28×28×1", ImageShape(height: 28, width: 28, channels: 1))] {
        let count = batch * shape.featureCount
        let source = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { source.deallocate(); x.deallocate() }
        var rng = Philox4x32(seed: 1, stream: 99)
        for i in 0..<count { source[i] = Float(rng.nextGaussian()) }
        x.update(from: source, count: count)
        let flipper = HorizontalFlipper(shape: shape, seed: 3, maxRows: batch)
        let crop2 = RandomCropper(shape: shape, padding: 2, seed: 3, maxRows: batch)
        let crop4 = RandomCropper(shape: shape, padding: 4, seed: 3, maxRows: batch)
        let mixer = MixUpMixer(columns: shape.featureCount, alpha: 0.2, seed: 3, maxRows: batch)
        let labels = [Int32](repeating: 0, count: batch)
        var step = 0
        // Each call augments the batch again (a new step's draws), as training does.
        func rate(_ body: () -> Void) -> Double {
            let calls = callsPerSample(target: sampleSeconds, body)
            var times: [Double] = []
            for _ in 0..<samples {
                let t0 = now()
                for _ in 0..<calls { body() }
                times.append((now() - t0) / Double(calls))
            }
            return Double(batch) / median(times)
        }
        let copy = rate { x.update(from: source, count: count) }
        let flip = rate { flipper.apply(x, rows: batch, step: step & 0xFFFF); step += 1 }
        let c2 = rate { crop2.apply(x, rows: batch, step: step & 0xFFFF); step += 1 }
        let c4 = rate { crop4.apply(x, rows: batch, step: step & 0xFFFF); step += 1 }
        let mix = rate { _ = mixer.apply(x: x, labels: labels, rows: batch, step: step & 0xFFFF); step += 1 }
        func m(_ v: Double) -> String { String(format: "%.2fM/s", v / 1e6) }
        func r(_ v: Double) -> String { String(format: "%.2f", v / copy) }
        print("| \(name) | \(m(copy)) | \(m(flip)) | \(r(flip)) | \(m(c2)) | \(r(c2)) | \(m(c4)) | \(r(c4)) | \(m(mix)) | \(r(mix)) |")
    }
}
