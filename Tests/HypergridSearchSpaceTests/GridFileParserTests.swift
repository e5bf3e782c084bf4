import Foundation
import Testing
@testable import HypergridSearchSpace

@Suite struct GridFileParserTests {
    let seedGrid = """
    dataset:
      name: cifar10
      path: ../shared/data/cifar-10-batches-bin
      pca: 0.9
    model:
      hidden: [128, 256]
    training:
      learning_rate: [0.1, 1e-3]
      reg: [0.001, 0.25]
      iterations: [1000, 5000]
      decay: 0.95
    search:
      kind: grid
    """

    @Test func parsesTheSeedGrid() throws {
        let spec = try GridFileParser.parse(yaml: seedGrid, file: "seed.yaml")
        #expect(spec.dataset.kind == .cifar10)
        #expect(spec.dataset.pcaVariance == 0.9)
        #expect(spec.axes.hidden == [[128], [256]])
        #expect(spec.axes.learningRate == [0.1, 0.001])
        #expect(spec.axes.length == [.iterations(1000), .iterations(5000)])
        #expect(spec.axes.pointCount == 16)
        #expect(spec.axes.sweptParameters == ["hidden", "learning_rate", "reg", "iterations"])
    }

    /// `dataset.task`: regression on data with float targets, classification anywhere; a
    /// classification spec written without it keeps its JSON (and so its trial ids).
    @Test func parsesTheTask() throws {
        let regression = try GridFileParser.parse(yaml: "dataset: {name: synthetic, task: regression}\nmodel: {hidden: 8}",
                                                  file: "r.yaml")
        #expect(regression.dataset.task == .regression && regression.dataset.isRegression)
        let plain = try GridFileParser.parse(yaml: "dataset: {name: mnist}\nmodel: {hidden: 8}", file: "c.yaml")
        #expect(plain.dataset.task == nil && !plain.dataset.isRegression)
        let json = String(decoding: try JSONEncoder().encode(plain.dataset), as: UTF8.self)
        #expect(!json.contains("task"))
        #expect(throws: GridFileError.self) {
            try GridFileParser.parse(yaml: "dataset: {name: synthetic, task: ranking}\nmodel: {hidden: 8}", file: "t.yaml")
        }
        do {
            _ = try GridFileParser.parse(yaml: "dataset:\n  name: mnist\n  task: regression\nmodel: {hidden: 8}", file: "m.yaml")
            Issue.record("regression on class labels was accepted")
        } catch let error as GridFileError {
            #expect(error.description == "m.yaml:3: dataset.task: regression needs float targets, but mnist has class labels")
        }
    }

    @Test func parsesArchitecturesAndBatchNorm() throws {
        let yaml = """
        dataset: {name: fashion-mnist}
        model: {hidden: [[256], [256, 128], [256, 128, 64]], batch_norm: [false, true], init: he}
        training: {optimizer: adam, epochs: 10, learning_rate: 1e-3}
        search: {repeats: 3, seed: 7}
        """
        let spec = try GridFileParser.parse(yaml: yaml, file: "depth.yaml")
        #expect(spec.axes.hidden == [[256], [256, 128], [256, 128, 64]])
        #expect(spec.axes.batchNorm == [false, true])
        #expect(spec.axes.initScheme == [.he])
        #expect(spec.axes.optimizer == [.adam])
        #expect(spec.axes.length == [.epochs(10)])
        #expect(spec.search == SearchSpec(kind: .grid, seed: 7, repeats: 3))
    }

    /// Each bad input names the file, the line and the key.
    @Test(arguments: [
        ("dataset: {name: cifar10}\nmodel: {hiden: 256}\n", "bad.yaml:2: model.hiden: unknown key; expected one of batch_norm, dropout, hidden, init"),
        ("dataset: {name: cifar10}\ntraining:\n  learning_rate: fast\n", "bad.yaml:3: training.learning_rate: must be a number, got 'fast'"),
        ("dataset: {name: cifar10}\ntraining:\n  reg: []\n", "bad.yaml:3: training.reg: is an empty list; give at least one value"),
        ("dataset: {name: cifar10}\ntraining:\n  batch_size: 0\n", "bad.yaml:3: training.batch_size: must be positive, got 0"),
        ("dataset: {name: cifar10}\ntraining:\n  learning_rate: [0.1, -1]\n", "bad.yaml:3: training.learning_rate: must be positive, got -1.0"),
        ("dataset:\n  name: cifar10\n  pca: 1.5\n", "bad.yaml:3: dataset.pca: must be a fraction of variance in (0, 1], got 1.5"),
        ("dataset: {name: imagenet}\n", "bad.yaml:1: dataset.name: unknown dataset 'imagenet'; one of cifar10, fashion-mnist, mnist, synthetic"),
        ("model: {hidden: 256}\n", "bad.yaml:1: dataset: is missing; name the data to train on, e.g. dataset: {name: fashion-mnist}"),
        ("dataset: {name: cifar10}\nmodel: {batch_norm: maybe}\n", "bad.yaml:2: model.batch_norm: must be true or false, got 'maybe'"),
        ("dataset: {name: cifar10}\ntraining: {iterations: 10, epochs: 2}\n", "bad.yaml:2: training: give either iterations or epochs, not both"),
        ("dataset: {name: cifar10}\nsearch: {kind: random, samples: 5}\n", "bad.yaml:2: search.samples: asks for 5 points but the grid has only 1"),
        ("dataset: {name: cifar10}\nsearch: {kind: bayes}\n", "bad.yaml:2: search.kind: unknown search kind 'bayes'; one of grid, random, halving"),
        ("dataset: {name: cifar10}\nmodel: {hidden: [256, [128]]}\n", "bad.yaml:2: model.hidden: mixes widths and architectures; write every entry as a list, e.g. [[256], [256, 128]]"),
        ("dataset: {name: cifar10\n", "bad.yaml:2: is not valid YAML (did not find expected ',' or '}')"),
        ("", "bad.yaml: is empty; it needs at least a dataset and a model or training section"),
        ("- 1\n- 2\n", "bad.yaml:1: (top level): must be a mapping of keys to values"),
    ])
    func rejects(yaml: String, message: String) {
        #expect {
            _ = try GridFileParser.parse(yaml: yaml, file: "bad.yaml")
        } throws: { error in
            (error as? GridFileError)?.description == message
        }
    }

    /// `test_rows: 0` means no test split, as `--test-rows 0` and `DatasetRequest` do.
    @Test func testRowsZeroIsNoTestSplit() throws {
        let spec = try GridFileParser.parse(yaml: "dataset: {name: synthetic, test_rows: 0}\n", file: "g.yaml")
        #expect(spec.dataset.testRows == 0)
        #expect {
            _ = try GridFileParser.parse(yaml: "dataset:\n  name: synthetic\n  test_rows: -1\n", file: "bad.yaml")
        } throws: { error in
            (error as? GridFileError)?.description == "bad.yaml:3: dataset.test_rows: must be zero or positive, got -1"
        }
    }

    /// Ranges come from `ConfigField`, per list item (so the line is the item's), and rules
    /// across dataset keys from `DatasetSpec.validationProblems`.
    @Test(arguments: [
        ("dataset: {name: cifar10}\ntraining:\n  momentum:\n    - 0.9\n    - 1.5\n", "bad.yaml:5: training.momentum: must be in [0, 1), got 1.5"),
        ("dataset: {name: cifar10}\ntraining: {decay: 3}\n", "bad.yaml:2: training.decay: must be in (0, 1], got 3.0"),
        ("dataset: {name: cifar10}\nmodel: {hidden: [[256, 0]]}\n", "bad.yaml:2: model.hidden: must be positive, got 0"),
        ("dataset:\n  name: cifar10\n  pca: 0.9\n  train_rows: 1\n", "bad.yaml:4: dataset.train_rows: must be at least 2 when PCA is on, got 1"),
    ])
    func rejectsSharedRanges(yaml: String, message: String) {
        #expect {
            _ = try GridFileParser.parse(yaml: yaml, file: "bad.yaml")
        } throws: { error in
            (error as? GridFileError)?.description == message
        }
    }

    @Test func missingFileIsOneSentence() {
        #expect {
            _ = try GridFileParser.parse(contentsOf: "/nonexistent/grid.yaml")
        } throws: { error in
            "\(error)" == "/nonexistent/grid.yaml: no such file"
        }
    }
}
