import Foundation
import Testing
@testable import HypergridData

/// Where `--dataset cifar10` / `mnist` without `--data` look: `data/<name>` in the working
/// directory when it exists (the download script's default), else the XDG data folder.
@Suite struct DefaultDirectoryTests {
    @Test func theDownloadScriptsFolderComesFirst() throws {
        let here = TempDir()
        let local = here.url.appendingPathComponent("data/cifar-10-batches-bin", isDirectory: true)
        try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
        #expect(DatasetRequest.defaultDirectory(for: .cifar10, workingDirectory: here.url.path) == local.path)
        // Without a data/mnist folder, MNIST falls back to the XDG location.
        let mnist = try #require(DatasetRequest.defaultDirectory(for: .mnist, workingDirectory: here.url.path))
        #expect(mnist.hasSuffix("/hypergrid/mnist") && !mnist.hasPrefix(here.url.path))
    }

    @Test func elseTheDataHome() throws {
        let elsewhere = TempDir()
        // A plain file named like the folder does not count.
        try FileManager.default.createDirectory(at: elsewhere.file("data"), withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: elsewhere.file("data/cifar-10-batches-bin").path, contents: Data()))
        let cifar = try #require(DatasetRequest.defaultDirectory(for: .cifar10, workingDirectory: elsewhere.url.path))
        #expect(cifar.hasSuffix("/hypergrid/cifar-10-batches-bin") && !cifar.hasPrefix(elsewhere.url.path))
        #expect(DatasetRequest.defaultDirectory(for: .fashionMNIST, workingDirectory: elsewhere.url.path)
                == "/usr/share/datasets/fashion-mnist")
        #expect(DatasetRequest.defaultDirectory(for: .synthetic) == nil)
    }
}
